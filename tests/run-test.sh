#!/bin/sh
# run-test.sh TEST: run one test file and print TAP. bats files run under
# `bats --tap`; anything else (the C unit tests) is executed directly.
set -eu
case $1 in
*.bats) exec bats --tap "$1" ;;
*) exec "$1" ;;
esac
