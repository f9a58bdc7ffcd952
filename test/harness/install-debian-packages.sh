#!/usr/bin/env bash
# Installs the Debian packages that code-server and the browser tests need, when missing:
#   chromium     headless browser that Playwright drives (playwright-core downloads none)
#   ripgrep      stands in for @vscode/ripgrep's download from GitHub
#   libkrb5-dev  headers for code-server's native `kerberos` module
#   python3 make g++  node-gyp's tool chain for code-server's native modules
#   redis-server the registry-on-Redis tests start their own server (127.0.0.1, a free port)
#   openssl      makes the self-signed certificate of the Redis TLS test
# Uses apt-get as root, or sudo when it needs no password; otherwise says what to install.
# Arguments: the packages to check (default: all of the above).
set -euo pipefail

packages=("$@")
[ "${#packages[@]}" -gt 0 ] || packages=(chromium ripgrep libkrb5-dev python3 make g++ redis-server openssl)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian: check the programs themselves and let the user install them their own way.
  missing=()
  for p in "${packages[@]}"; do
    case "$p" in
      chromium) [ -x "${SESSION_KEEPER_CHROMIUM:-/usr/bin/chromium}" ] || missing+=("chromium (or set SESSION_KEEPER_CHROMIUM)") ;;
      ripgrep) command -v rg >/dev/null 2>&1 || missing+=(ripgrep) ;;
      libkrb5-dev) command -v krb5-config >/dev/null 2>&1 || missing+=("Kerberos development headers (krb5-config)") ;;
      *) command -v "$p" >/dev/null 2>&1 || missing+=("$p") ;;
    esac
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "session-keeper tests: this is not a Debian system; please install: ${missing[*]}" >&2
    exit 1
  fi
  exit 0
fi

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "session-keeper tests: missing Debian packages: ${missing[*]}" >&2
  echo "Install them (as root) with:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "session-keeper tests: installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q "${missing[@]}"
