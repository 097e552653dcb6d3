#!/usr/bin/env bash
# scripts/county --base-port (issue 22): every loopback port of the demo
# county, each node's own and its parents', moves with the base port; without
# it the ports stay those of examples/gutian/; a base port that would put a
# node outside 1024-65535, or is not a number, is a usage error (exit 2).
# `scripts/county ports` writes the configs as a start would, reads them back
# and starts nothing, so this runs in well under a second.
# Usage: county_ports_test.sh REPO
set -euo pipefail
readonly county="$1/scripts/county"
failures=0

# Expects a line of `output` to match the extended regex `line`.
expect_line() {
  local output="$1" line="$2"
  if ! grep -Eq -- "^${line}\$" <<<"${output}"; then
    echo "FAIL: no line matching '${line}' in:" >&2
    echo "${output}" >&2
    failures=$((failures + 1))
  fi
}

# Expects `scripts/county ARGS` to exit 2 saying `message`.
expect_usage_error() {
  local message="$1" rc=0 err
  shift
  err="$("${county}" "$@" 2>&1 >/dev/null)" || rc=$?
  if ((rc != 2)) || ! grep -qF -- "${message}" <<<"${err}"; then
    echo "FAIL: scripts/county $* exited ${rc} with: ${err}" >&2
    failures=$((failures + 1))
  fi
}

readonly ip='127\.0\.0\.1'
shifted="$("${county}" ports --base-port 17000)"
expect_line "${shifted}" "gutian +county +${ip}:17000"
expect_line "${shifted}" "gutian/fengpu +township +${ip}:17010 +parents ${ip}:17000"
expect_line "${shifted}" "gutian/fengpu/xiaban +village +${ip}:17011 +parents ${ip}:17010 ${ip}:17000"
expect_line "${shifted}" "gutian/pingbu/longtan +village +${ip}:17022 +parents ${ip}:17020 ${ip}:17000"
if grep -Eq ":70[0-9][0-9]\b" <<<"${shifted}"; then
  echo "FAIL: a default port is left with --base-port 17000:" >&2
  echo "${shifted}" >&2
  failures=$((failures + 1))
fi
expect_line "$("${county}" ports --base-port=20000)" "gutian/pingbu +township +${ip}:20020 +parents ${ip}:20000"
expect_line "$("${county}" ports)" "gutian/fengpu/gaotou +village +${ip}:7013 +parents ${ip}:7010 ${ip}:7000"

expect_usage_error "--base-port 65530: gutian/fengpu would listen on 65540, outside 1024-65535" \
  ports --base-port 65530
expect_usage_error "--base-port 7k: not a port number" ports --base-port 7k
expect_usage_error "usage:" ports --base-port

((failures == 0)) || exit 1
echo "county_ports_test: ok"
