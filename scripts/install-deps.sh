#!/usr/bin/env bash
# Installs every Debian package Hearth needs to build, run and test.
# Idempotent: it asks apt only for what is missing, so a second run is a no-op.
set -euo pipefail

debian_packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-14 libclang-rt-14-dev
  # media (DESIGN.md §7)
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libgstrtspserver-1.0-dev gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-nice gstreamer1.0-rtsp gstreamer1.0-alsa
  # networking, TLS, crypto
  libboost1.81-all-dev libssl-dev libsodium-dev libzxcvbn-dev libqrencode-dev
  # storage, config, CLI, logs
  libpugixml-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev
  libfmt-dev
  # tests and benchmarks: real peers (ffmpeg, testssl.sh, hydra, oathtool)
  libgtest-dev libgmock-dev libbenchmark-dev ffmpeg procps curl python3
  testssl.sh hydra oathtool
  # third-party ONVIF clients that must accept `hearth simcam` (onvif-util and libonvif)
  onvif-tools libonvif-dev
  # the browser test of the web app (tests/e2e: playwright-core drives Debian's Chromium)
  chromium fonts-liberation
  # the WebRTC viewers of the live bench (webrtcbin from Python)
  python3-gi gir1.2-gst-plugins-bad-1.0
  # shared clips: face blurring and the watermark (OpenCV with the Haar face cascades)
  libopencv-dev opencv-data
  # detection: decoding straight with libavcodec (src/detect/frame_decoder.h)
  libavcodec-dev libavutil-dev
  # the BIP39 English word list of the recovery words (src/crypto), and a peer for their test
  python3-mnemonic
  # notifications to home automation: the MQTT client library, and a broker for its tests
  mosquitto libmosquitto-dev
)

missing=()
for p in "${debian_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages (run as root): ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# The web app's npm packages (web/package-lock.json); Node.js 20.19+ and npm are needed
# (Vite 7), which Debian 12 does not ship: install them from nodejs.org or NodeSource.
web_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: npm not found: install Node.js 20.19 or later to build the web app" >&2
  exit 1
fi
if [[ ! -d "$web_dir/node_modules" || "$web_dir/package-lock.json" -nt "$web_dir/node_modules" ]]; then
  echo "install-deps: npm ci in web/"
  (cd "$web_dir" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$web_dir/node_modules"
else
  echo "install-deps: web/node_modules up to date"
fi
