#!/usr/bin/env bash
# Run a command with LocalStack's S3 up and LOCALSTACK_ENDPOINT set; stop it after.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
endpoint="$("$here/localstack.sh" start | tail -n 1)"
trap '"$here/localstack.sh" stop' EXIT
LOCALSTACK_ENDPOINT="$endpoint" "$@"
