import { render } from 'preact';
import { App } from './app';
import { debugPeers } from './live/webrtc';
import './styles.css';

debugPeers();  // window.__hearth.peers, for tests (read-only use)
render(<App />, document.getElementById('app')!);

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => {
      console.warn('service worker not registered:', e);
    });
  });
}
