# Shared by the bench scripts: build, start servers on fixed loopback ports, wait for them, stop them on exit,
# and summarise wrk RESULT lines. Source it after `set -euo pipefail` and `cd` to the repository root.
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"

cargo build --release --locked -q -p platform -p bench
root="$(pwd)"
target="${CARGO_TARGET_DIR:-$root/target}/release"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Waits for `port` to open, and fails if process `pid` died first (e.g. the port was taken).
wait_port() {
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || { echo "server for port $1 exited:"; cat "$work"/*.log; exit 1; }
    port_open "$1" && return 0
    sleep 0.1
  done
  echo "port $1 did not open"; exit 1
}
ensure_free() { if port_open "$1"; then echo "port $1 is already in use; stop whatever listens there"; exit 1; fi; }

start_bare() { # port
  ensure_free "$1"
  "$target/bare-server" "127.0.0.1:$1" & pids+=($!)
  wait_port "$1" $!
}

start_platform() { # name port [VAR=value…]
  start_binary "$target/platform" "$@"
}

# Like start_platform, with another build of `platform` (an earlier commit's, to compare in one run).
start_binary() { # binary name port [VAR=value…]
  local binary=$1 name=$2 port=$3; shift 3
  ensure_free "$port"
  mkdir -p "$work/$name"
  (cd "$work/$name" && exec env PLATFORM_LOG__FILTER=warn "$@" "$binary" serve --demo --listen "127.0.0.1:$port") \
    >/dev/null 2>"$work/$name.log" &
  pids+=($!)
  wait_port "$port" $!
}

# Runs `script` against every "name port" of `targets`: a 2 s warm-up each, then ROUNDS alternating rounds.
measure() { # script
  local script=$1
  for t in "${targets[@]}"; do set -- $t; wrk -t1 -c"$CONNECTIONS" -d2s -s "$script" "http://127.0.0.1:$2/graphql" >/dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    for t in "${targets[@]}"; do
      set -- $t
      line=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$script" "http://127.0.0.1:$2/graphql" | grep '^RESULT')
      echo "$1 round=$round $line" | tee -a "$work/results"
    done
  done
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep "^$1 " "$work/results" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p"; }

# Prints the table of medians, each as a share of the target named `baseline`.
summarise() { # baseline
  local base; base=$(field "$1" rps | median)
  printf '\n| target | req/s (median) | p99 ms (median) | %% of %s | bad responses |\n|---|---|---|---|---|\n' "$1"
  for t in "${targets[@]}"; do
    set -- $t
    rps=$(field "$1" rps | median); p99=$(field "$1" p99_ms | median)
    bad=$(field "$1" bad | awk '{s+=$1} END {print s}')
    printf '| %s | %s | %s | %s %% | %s |\n' "$1" "$rps" "$p99" "$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%.0f", 100*a/b}')" "$bad"
  done
  echo
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS rounds"
}
