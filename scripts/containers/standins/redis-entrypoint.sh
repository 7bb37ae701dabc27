#!/bin/sh
# The official redis image's entrypoint contract: options (or a config file) are redis-server's,
# and redis-server started as root drops to the redis user (setpriv, from util-linux, in place of gosu).
set -e
case "$1" in
  -* | *.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=redis --regid=redis --clear-groups "$@"
fi
exec "$@"
