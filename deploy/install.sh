#!/usr/bin/env bash
# Installs kasa-collector as a systemd service on Raspberry Pi OS (or any Debian with systemd).
# Run from a checkout where `npm ci && npm run build` has produced dist/:
#
#   sudo deploy/install.sh              install or upgrade, enable and (re)start the service
#   sudo deploy/install.sh --no-start   install and enable, but do not start it yet
#   deploy/install.sh --root /tmp/x     dry run into a fake root: no root needed, no useradd,
#                                       chown or systemctl (they are printed instead)
#
# DESTDIR=/tmp/x is the same as --root /tmp/x. Safe to run again: the app is replaced, but an
# existing /etc/kasa-collector/config.json or env file is never overwritten.
set -euo pipefail

SERVICE=kasa-collector
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${DESTDIR:-}"
START=yes

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
# Commands that change the real system; in --root mode they are only printed.
system() {
  if [ -n "$ROOT" ]; then printf '    [--root: skipped] %s\n' "$*"; else "$@"; fi
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT="$2"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --no-start) START=no; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
ROOT="${ROOT%/}"

APP="$ROOT/opt/$SERVICE"
ETC="$ROOT/etc/$SERVICE"
STATE="$ROOT/var/lib/$SERVICE"
UNIT_DIR="$ROOT/etc/systemd/system"

step "Checking prerequisites"
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo $0), or try a dry run with --root DIR"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  cat >&2 <<'EOF'
install.sh: Node.js >= 20 with npm is required. On Raspberry Pi OS, either
  - NodeSource:  https://github.com/nodesource/distributions (setup_20.x, then apt-get install nodejs)
  - Debian:      apt-get install nodejs npm   (bookworm ships 18: too old; trixie ships 20)
EOF
  exit 1
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js $(node --version) is too old: 20 or newer is needed (see NodeSource)"
NODE_BIN="$(command -v node)"
echo "    node $(node --version) at $NODE_BIN, npm $(npm --version)"
[ -f "$SRC/dist/bin.js" ] || die "no $SRC/dist/bin.js: run 'npm ci && npm run build' first"
if [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1; then
  SYSTEMD_VERSION="$(systemctl --version | awk 'NR==1 {print $2}')"
  if [ "${SYSTEMD_VERSION%%.*}" -lt 246 ] 2>/dev/null; then
    echo "    warning: systemd $SYSTEMD_VERSION < 246: systemd-notify may lose READY/WATCHDOG messages" >&2
  fi
fi

step "Creating the system user $SERVICE (no login, no home of its own)"
if getent passwd "$SERVICE" >/dev/null 2>&1; then
  echo "    user $SERVICE exists"
else
  system useradd --system --home-dir "/var/lib/$SERVICE" --no-create-home \
    --shell /usr/sbin/nologin "$SERVICE"
fi

step "Copying the app into $APP (package.json, package-lock.json, dist, config, web)"
install -d -m 0755 "$APP"
rm -rf "$APP/dist" "$APP/config" "$APP/web"
cp -R "$SRC/package.json" "$SRC/package-lock.json" "$SRC/dist" "$SRC/config" "$SRC/web" "$APP/"

step "Installing runtime dependencies (npm ci --omit=dev; pure JavaScript, no compiler needed)"
(cd "$APP" && npm ci --omit=dev --no-audit --no-fund)

step "Creating the state directory $STATE (energy totals, outboxes)"
install -d -m 0750 "$STATE"
system chown "$SERVICE:$SERVICE" "$STATE"

step "Configuration in $ETC (an existing file is never overwritten)"
install -d -m 0755 "$ETC"
if [ -e "$ETC/config.json" ]; then
  echo "    keeping $ETC/config.json"
else
  install -m 0640 "$SRC/config/example.json" "$ETC/config.json"
  echo "    created $ETC/config.json from config/example.json: edit devices, mqtt and emonhub"
fi
# Readable by the service user (it may hold the MQTT password), writable by root only.
system chown "root:$SERVICE" "$ETC/config.json"
if [ -e "$ETC/env" ]; then
  echo "    keeping $ETC/env"
else
  printf '%s\n' '# Secrets for kasa-collector, read by systemd (EnvironmentFile=) as root.' \
    '# Uncomment to keep the MQTT password out of config.json:' '#MQTT_PASSWORD=' >"$ETC/env"
  echo "    created $ETC/env (placeholder for MQTT_PASSWORD)"
fi
chmod 0600 "$ETC/env"
system chown root:root "$ETC/env"
# Also proves the installed app and its dependencies load.
if ! node "$APP/dist/bin.js" check-config --config "$ETC/config.json" >/dev/null; then
  echo "    warning: fix the config (error above); until then the service exits 2" >&2
fi

step "Installing the systemd unit into $UNIT_DIR"
install -d -m 0755 "$UNIT_DIR"
install -m 0644 "$SRC/deploy/$SERVICE.service" "$UNIT_DIR/$SERVICE.service"
DROPIN="$UNIT_DIR/$SERVICE.service.d/node.conf"
if [ "$NODE_BIN" != /usr/bin/node ]; then
  # The unit runs /usr/bin/node (NodeSource and Debian put it there); point it at this node.
  case "$NODE_BIN" in /home/* | /root/*) echo "    warning: $NODE_BIN is under a home directory, which ProtectHome=yes hides from the service" >&2 ;; esac
  install -d -m 0755 "$(dirname "$DROPIN")"
  printf '[Service]\nExecStart=\nExecStart=%s /opt/%s/dist/bin.js run\n' "$NODE_BIN" "$SERVICE" >"$DROPIN"
  echo "    node is not /usr/bin/node: wrote $DROPIN"
else
  rm -f "$DROPIN"
fi

step "Enabling the service"
system systemctl daemon-reload
if [ "$START" = no ]; then
  system systemctl enable "$SERVICE"
elif [ -z "$ROOT" ] && systemctl is-active --quiet "$SERVICE"; then
  system systemctl enable "$SERVICE"
  system systemctl restart "$SERVICE"
else
  system systemctl enable --now "$SERVICE"
fi

cat <<EOF

Done. Next:
  edit     $ETC/config.json   (secrets may go in $ETC/env)
  check    node /opt/$SERVICE/dist/bin.js check-config --config /etc/$SERVICE/config.json
  apply    systemctl reload $SERVICE    (device list; other changes: systemctl restart $SERVICE)
  status   systemctl status $SERVICE
  logs     journalctl -u $SERVICE -f
EOF
