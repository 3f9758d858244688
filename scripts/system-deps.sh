#!/usr/bin/env bash
# The Debian packages the test suite uses besides npm's: real brokers, real STOMP clients, capture tools and a
# browser. One list, used by `npm test` (test/support/global-setup.ts checks it and, as root with apt, installs
# what is missing) and by .ci/run.
#
#   bash scripts/system-deps.sh --check     print the missing packages, exit 1 if any
#   bash scripts/system-deps.sh --install   install the missing ones (root; Debian/Ubuntu apt)
#
#   rabbitmq-server  the main broker of the integration tests (with its STOMP and Web-STOMP plugins)
#   activemq         ActiveMQ classic, the second real broker
#   python3-stomp    stomp.py (run with /usr/bin/python3)
#   libnet-stomp-perl, ruby-stomp, php-cli + php-stomp   more real clients (STOMP 1.0 and 1.2)
#   tcpdump, tshark  captures of real traffic; tshark is the import benchmark's baseline
#   chromium         the UI's end-to-end tests (driven by playwright-core, never a downloaded browser)
set -euo pipefail

PACKAGES=(rabbitmq-server activemq python3-stomp libnet-stomp-perl ruby-stomp php-cli php-stomp tcpdump tshark chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

case "${1:-}" in
  --check)
    if ((${#missing[@]})); then echo "${missing[*]}"; exit 1; fi
    exit 0 ;;
  --install) ;;
  *) echo "usage: bash scripts/system-deps.sh --check | --install" >&2; exit 2 ;;
esac

if ((${#missing[@]} == 0)); then
  echo "system packages already installed: ${PACKAGES[*]}"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "installing ${missing[*]} needs root: sudo bash scripts/system-deps.sh --install" >&2
  exit 1
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common (pulled in by tshark) asks whether non-root users may capture; answer no without asking.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
# Debian's rabbitmq-server starts its system service on install (activemq's init script would too, for any
# instance in /etc/activemq/instances-enabled). The tests run their own private brokers (test/support/rabbitmq.ts,
# test/support/activemq.ts) and never use those, so forbid service starts during the install (policy-rc.d,
# Debian's standard switch), unless a policy is already in place.
policy_added=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  policy_added=1
fi
# Processes of the brokers' users before the install: only ones that appear because of it are stopped.
before=" $(pgrep -u rabbitmq -d ' ' 2>/dev/null || true) $(pgrep -u activemq -d ' ' 2>/dev/null || true) "
rc=0
{ apt-get update && apt-get -o DPkg::Lock::Timeout=600 install -y "${missing[@]}"; } || rc=$?
if ((policy_added)); then rm -f /usr/sbin/policy-rc.d; fi
# Belt and braces: if the install still started a broker (or its epmd), stop exactly those processes.
for pid in $(pgrep -u rabbitmq 2>/dev/null || true) $(pgrep -u activemq 2>/dev/null || true); do
  if [[ "$before" != *" $pid "* ]]; then
    echo "stopping process $pid ($(cat /proc/"$pid"/comm 2>/dev/null || echo '?')) started by the install"
    kill "$pid" 2>/dev/null || true
  fi
done
exit "$rc"
