// Injected into a test page (page.addInitScript): plays the hub's side of the WebRTC
// signalling contract inside the browser, so the app's WebRTC client is tested before the
// hub's WebRTC is merged. wss://.../api/cameras/{id}/webrtc is answered by a fake socket
// whose "hub" is a second RTCPeerConnection sending a canvas as video; every other socket
// is real. What the client sent is kept in window.__mockHub.received.
(() => {
  const RealPC = window.__hearthRealPeerConnection ?? window.RTCPeerConnection;
  window.RTCPeerConnection = RealPC;  // the app under test gets WebRTC back
  const RealWebSocket = window.WebSocket;
  const state = { received: [], hubs: [] };
  window.__mockHub = state;

  function canvasTrack() {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => {
      n++;
      g.fillStyle = `hsl(${(n * 7) % 360} 60% 40%)`;
      g.fillRect(0, 0, 320, 180);
      g.fillStyle = '#fff';
      g.font = '28px sans-serif';
      g.fillText(`mock hub ${n}`, 20, 100);
    }, 66);
    return canvas.captureStream(15).getVideoTracks()[0];
  }

  class FakeSignalling extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      this.binaryType = 'blob';
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 10);
    }
    deliver(msg) {
      if (this.readyState === 1) this.onmessage?.({ data: JSON.stringify(msg) });
    }
    async send(text) {
      const msg = JSON.parse(text);
      state.received.push(msg);
      if (msg.type === 'start') {
        // Host candidates carry real addresses once the page may use media devices.
        const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
        mic.getTracks().forEach((t) => t.stop());
        const hub = new RealPC({ iceServers: [] });
        this.hub = hub;
        state.hubs.push(hub);
        hub.addTransceiver(canvasTrack(), { direction: 'sendonly' });
        hub.addTransceiver('audio', { direction: 'recvonly' });
        hub.onicecandidate = (ev) => {
          if (ev.candidate && ev.candidate.candidate) {
            this.deliver({ type: 'ice', candidate: ev.candidate.candidate,
              sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0 });
          }
        };
        const offer = await hub.createOffer();
        await hub.setLocalDescription(offer);
        this.deliver({ type: 'offer', sdp: offer.sdp, video: 'H.264 as recorded (mock hub)',
          talk: true, audio: false });
      } else if (msg.type === 'answer') {
        await this.hub.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      } else if (msg.type === 'ice') {
        await this.hub.addIceCandidate({ candidate: msg.candidate,
          sdpMLineIndex: msg.sdpMLineIndex });
      }
    }
    close() {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.hub?.close();
      this.onclose?.({ code: 1000 });
    }
  }
  FakeSignalling.CONNECTING = 0;
  FakeSignalling.OPEN = 1;
  FakeSignalling.CLOSING = 2;
  FakeSignalling.CLOSED = 3;

  window.WebSocket = new Proxy(RealWebSocket, {
    construct(target, args) {
      return /\/api\/cameras\/\d+\/webrtc$/.test(String(args[0]))
        ? new FakeSignalling(String(args[0])) : new target(...args);
    },
  });
})();
