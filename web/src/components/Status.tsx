// A status line read out by screen readers (aria-live).
interface Props {
  message: string;
  error?: boolean;
}

export function Status({ message, error = false }: Props) {
  return (
    <p class={error ? 'status status-error' : 'status'} role={error ? 'alert' : 'status'}
      aria-live={error ? 'assertive' : 'polite'}>
      {message}
    </p>
  );
}
