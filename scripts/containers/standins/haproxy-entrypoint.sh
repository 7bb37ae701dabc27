#!/bin/sh
# The official haproxy image's entrypoint contract: options are haproxy's, and haproxy runs in the
# foreground (-db) as a master with workers (-W), so that it reloads and stops like the official one.
set -e
case "$1" in
  -*) set -- haproxy "$@" ;;
esac
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"
