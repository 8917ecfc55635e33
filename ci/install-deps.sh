#!/bin/sh
# Installs what building, running and testing isotest needs, from Debian's
# packages. Cheap when everything is present: it asks dpkg first and only
# calls apt-get for what is missing.
set -eu

PKGS="build-essential pkg-config libpq-dev libxml2-dev libxml2-utils
libssl-dev libcriterion-dev postgresql-15 postgresql-client-15
postgresql-15-pgtap python3-pytest python3-pytest-xdist python3-psycopg2
python3-venv python3-pip python3-setuptools python3-wheel valgrind
diffutils locales clang-format"

# A decimal-comma locale, so the tests can show that times in reports keep
# their dot whatever LC_NUMERIC says.
need_locale() {
    ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf8$'
}

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ] && ! need_locale; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    elif [ -z "$missing" ]; then
        # Only the locale is missing: the tests skip that one check.
        echo "install-deps: note: no de_DE.UTF-8 locale (installing it needs root)" >&2
        exit 0
    else
        echo "install-deps: missing packages:$missing (run as root to install them)" >&2
        exit 2
    fi
else
    SUDO=
fi
[ -n "$missing" ] && echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The postgresql-common package would create and start a 'main' cluster;
# isotest starts its own throwaway server, so skip that.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if need_locale; then
    $SUDO sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
    $SUDO locale-gen >/dev/null
fi
