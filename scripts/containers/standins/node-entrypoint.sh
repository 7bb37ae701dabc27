#!/bin/sh
# The official node image's entrypoint contract: arguments that start with "-" (or name no
# command) are options for node; anything else is run as given.
set -e
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ] || ! command -v "$1" > /dev/null 2>&1; then
  set -- node "$@"
fi
exec "$@"
