"""The bash a page's script starts with: how each step runs, fails and reports.

A script holds the parts its steps need, and no more: every script has `CORE`; a page that
writes files has `FILES`; one with a step in a `dir=` or that `fails`, `SUBSHELLS`; one with a
second terminal, `TERMINALS` (and `SAVE_STATE`, which a replay also uses to keep a page's end);
one that starts a server, `SERVERS`.

Run by a reader, the script says on stderr which step runs and which one failed, and where in
it. Run by the replay, it also reports each step's start and end, and its own completion, on
file descriptor 3 with a token of that run (`RUNBOOK_EVENTS`); every step runs with
descriptor 3 closed, so nothing a step or a program it runs prints can pass for progress.
"""

from __future__ import annotations

EVENTS_FD = 3
STEP_MARKER = "runbook: step "
FINISHED = "runbook: all steps passed"

CORE = r"""set -euo pipefail
# As in a reader's terminal: extended globs, and aliases a step defines for the next ones.
shopt -s extglob expand_aliases

runbook_start=$PWD
runbook_step=
runbook_reported=
runbook_dir=
# The replay counts steps on descriptor 3, with the token of the run; no step can write there.
runbook_token=${RUNBOOK_EVENTS-}
unset RUNBOOK_EVENTS
runbook_event() {
  if [[ -n $runbook_token ]]; then printf '%s %s\n' "$runbook_token" "$*" >&3; fi
}
# A step starts: LOCATION, the script's line of this call, and how many lines its block has.
runbook_begin() {
  runbook_step=$1 runbook_at=$(($2 + 2)) runbook_lines=$3
  # Where the step's output starts; in a replay, marked with the run's token.
  printf '%s step %s\n' "${runbook_token:-runbook:}" "$1" >&2
  runbook_event start "$1"
  # Each step runs as the page's first did, whatever the one before it changed.
  set -euo pipefail
  trap 'runbook_failed "$LINENO"' ERR
}
# Say which step failed, where in its block when known, and with which exit status; once.
runbook_report() {
  runbook_reported=1
  local where=
  if [[ -n ${2-} ]] && (($2 >= runbook_at && $2 < runbook_at + runbook_lines)); then
    where=" at line $((${runbook_step##*:} + 1 + $2 - runbook_at))"
  fi
  printf 'runbook: step %s failed%s with exit status %d\n' "$runbook_step" "$where" "$1" >&2
}
# A command failed (the ERR trap, with its line): the step fails, unless it turned `set -e` off.
runbook_failed() {
  local status=$?
  [[ $- == *e* ]] || return "$status"
  runbook_report "$status" "${1-}"
  exit "$status"
}
# An unset variable, a failure inside a function or an `exit` ends bash without the ERR trap.
runbook_exit() {
  local status=$?
  runbook_stop_servers
  runbook_cleanup
  if ((status != 0)) && [[ -n $runbook_step && -z $runbook_reported ]]; then
    runbook_report "$status"
  fi
}
runbook_cleanup() {
  if [[ -n $runbook_dir && -z $runbook_token ]]; then rm -rf -- "$runbook_dir"; fi
}
# bash does not stop for a failure inside a group or a loop: a step's last status must still
# be 0, unless the step ends with a condition (`[ -f x ] && rm x`), whose failure is no error.
runbook_end() {
  local status=$?
  if ((status != 0)) && [[ ${1-} != condition ]]; then
    runbook_report "$status"
    exit "$status"
  fi
  runbook_event end "$runbook_step"
}
# A step that ran in a process of its own (a subshell, a second terminal) and said why it failed.
runbook_gone() {
  runbook_reported=1
  exit "$1"
}
# The script's own files (a second terminal's state, a server's output), made when first needed.
runbook_own_dir() {
  if [[ -z $runbook_dir ]]; then runbook_dir=$(mktemp -d "${TMPDIR:-/tmp}/runbook.XXXXXX"); fi
}
trap 'runbook_failed "$LINENO"' ERR
trap runbook_exit EXIT
"""

FINISH = r"""runbook_finish() {
  runbook_stop_servers
  runbook_event finished
  printf 'runbook: all steps passed\n' >&2
}
"""

NO_SERVERS = "runbook_stop_servers() { :; }\n"

FILES = r"""# A file step: write PATH from standard input, exactly, with each MARKER replaced by
# the value of its VARIABLE (a placeholder's).
runbook_write() {
  local path=$1 text
  shift
  text=$(cat && printf .)
  text=${text%.}
  while (($# > 1)); do
    text=${text//"$1"/"${!2}"}
    shift 2
  done
  if [[ $path == '~/'* ]]; then path=$HOME/${path:2}; fi
  if [[ $path == */* ]]; then mkdir -p -- "${path%/*}"; fi
  printf '%s' "$text" >|"$path"
}
"""

SUBSHELLS = r"""# A step with `dir=` or `fails` runs in a subshell, which says itself why it failed.
runbook_subshell() {
  trap runbook_early EXIT
  if [[ -z ${runbook_expected-} ]]; then trap 'runbook_failed "$LINENO"' ERR; fi
}
# A step in a subshell that ends before its last line did not run whole.
runbook_early() {
  local status=$?
  if [[ -z ${runbook_ran-} ]] && ((status == 0)); then
    printf 'runbook: step %s ended before its last line\n' "$runbook_step" >&2
    exit 125
  fi
  if ((status != 0)) && [[ -z $runbook_reported && -z ${runbook_expected-} ]]; then
    runbook_report "$status"
  fi
}
# A step's own folder (`dir=`), made if missing, beside where the page's first command runs.
runbook_enter() {
  local target=$runbook_start/$1
  if [[ -n ${RUNBOOK_ROOT-} ]] && [[ $(realpath -m -- "$target") != "$RUNBOOK_ROOT"/* ]]; then
    printf 'runbook: dir=%s leaves the replay'"'"'s folder\n' "$1" >&2
    exit 125
  fi
  mkdir -p -- "$target"
  cd -- "$target"
}
# A `fails` step: its failure is what the page says; success, or a failure to run it, is not.
runbook_expect_failure() {
  trap - ERR
  set +e
  runbook_expected=1
}
runbook_failed_as_said() {
  local status=$1
  runbook_expected=
  set -e
  trap 'runbook_failed "$LINENO"' ERR
  if ((status == 0)); then
    runbook_reported=1
    printf 'runbook: step %s succeeded but the page says it fails\n' "$runbook_step" >&2
    exit 1
  elif ((status >= 125)); then
    runbook_reported=1
    printf 'runbook: step %s failed, but not as the page says: exit status %d\n' \
      "$runbook_step" "$status" >&2
    exit "$status"
  fi
  runbook_event end "$runbook_step"
}
"""

SAVE_STATE = r"""# Write the shell's state to FILE, to be sourced at the top level: variables
# (exported or not), functions, aliases, options and the current folder.
runbook_save_state() {
  local runbook_name runbook_declared
  {
    for runbook_name in $(compgen -v); do
      case $runbook_name in
        runbook_* | BASH* | SHELLOPTS | EUID | UID | PPID | GROUPS | FUNCNAME | LINENO | \
        RANDOM | SRANDOM | SECONDS | EPOCHREALTIME | EPOCHSECONDS | HISTCMD | DIRSTACK | \
        PIPESTATUS | OPTIND | OPTARG | OPTERR | COMP_* | SHLVL | PWD | OLDPWD | _ | IFS | PS4)
          continue ;;
      esac
      runbook_declared=$(declare -p "$runbook_name" 2>/dev/null) || continue
      [[ $runbook_declared =~ ^declare\ -[a-zA-Z]*r ]] && continue
      printf '%s\n' "$runbook_declared"
    done
    for runbook_name in $(compgen -A function); do
      [[ $runbook_name == runbook_* ]] || declare -f "$runbook_name"
    done
    alias -p
    shopt -p | grep -v -e ' login_shell$' -e ' restricted_shell$' || true
    set +o | grep -v -e ' errexit$' -e ' nounset$' -e ' pipefail$' -e ' errtrace$' \
      -e ' functrace$' -e ' monitor$' -e ' history$' -e ' xtrace$' -e ' verbose$' || true
    printf 'cd -- %q\n' "$PWD"
  } >|"$1"
}
"""

TERMINALS = r"""# What a reader's new terminal has: the environment the page's script started with.
runbook_first_env=${runbook_first_env-$(export -p)}
# A second terminal's step: a bash of its own, as a reader's new terminal is. It opens where
# the page's first command ran, with the environment the script started with, then keeps its own
# folder, variables and functions from one of its steps to the next.
runbook_terminal() {
  runbook_own_dir
  # The step's last line says it ran whole: an `exit` or a `return` before it ends it early.
  { cat && printf '\nrunbook_ran=1\n'; } >|"$runbook_dir/terminal-$1.step"
  env -i "$BASH" --noprofile --norc -c "$runbook_terminal_run" "runbook-terminal-$1" \
    "$runbook_first_env" "$runbook_dir/terminal-$1" "$runbook_start" "$runbook_step" \
    "$(declare -f runbook_save_state)" 3>&-
}
runbook_terminal_run=$(cat <<'RUNBOOK_TERMINAL'
runbook_own=$2 runbook_start=$3 runbook_step=$4
eval "$1"
eval "$5"
set --
if [[ -f $runbook_own.state ]]; then source "$runbook_own.state"; else cd -- "$runbook_start"; fi
set -euo pipefail
shopt -s extglob expand_aliases
runbook_failed() {
  local status=$?
  [[ $- == *e* ]] || return "$status"
  printf 'runbook: step %s failed at line %d with exit status %d\n' \
    "$runbook_step" "$((${runbook_step##*:} + $1))" "$status" >&2
  runbook_reported=1
  exit "$status"
}
runbook_exit() {
  local status=$?
  if ((status != 0)) && [[ -z ${runbook_reported-} ]]; then
    printf 'runbook: step %s failed with exit status %d\n' "$runbook_step" "$status" >&2
  elif ((status == 0)) && [[ -z ${runbook_ran-} ]]; then
    printf 'runbook: step %s ended before its last line\n' "$runbook_step" >&2
    exit 125
  fi
}
trap 'runbook_failed "$LINENO"' ERR
trap runbook_exit EXIT
source "$runbook_own.step"
runbook_save_state "$runbook_own.state"
RUNBOOK_TERMINAL
)
"""

SERVERS = r"""# Servers the page started (`background`): each its process id and step, to stop
# them as a reader does, with Ctrl+C.
runbook_servers=()
# Start the server on standard input in the background, in a process group of its own; go on
# once it answers at READY (a URL, or HOST:PORT; nothing: once it runs a second), within TIMEOUT
# seconds. If it exits or does not answer, say what it printed, and fail.
runbook_serve() {
  runbook_own_dir
  local number=${#runbook_servers[@]} pid status=0 deadline=$((SECONDS + $2))
  local code=$runbook_dir/server-$number.sh log=$runbook_dir/server-$number.log
  cat >|"$code"
  set -m
  (source "$code") </dev/null >|"$log" 2>&1 3>&- &
  pid=$!
  set +m
  runbook_servers+=("$pid $runbook_step")
  runbook_event server "$runbook_step" "$log"
  if [[ -z $runbook_token ]]; then
    printf 'runbook: step %s runs in the background; its output goes to %s\n' \
      "$runbook_step" "$log" >&2
  fi
  if [[ -z $1 ]]; then sleep 1; fi
  while kill -0 "$pid" 2>/dev/null; do
    if [[ -z $1 ]] || runbook_answers "$1"; then return 0; fi
    if ((SECONDS >= deadline)); then
      printf 'runbook: the server of step %s did not answer at %s within %s s; it said:\n' \
        "$runbook_step" "$1" "$2" >&2
      tail -c 20000 -- "$log" >&2 || true
      runbook_stop_servers
      return 124
    fi
    sleep 0.1
  done
  wait "$pid" || status=$?
  unset "runbook_servers[$number]"
  printf 'runbook: the server of step %s exited with status %d before it answered; it said:\n' \
    "$runbook_step" "$status" >&2
  tail -c 20000 -- "$log" >&2 || true
  return 1
}
# Whether something answers at READY: an HTTP status line for a URL, a connection otherwise.
runbook_answers() {
  local host port path=/
  if [[ $1 =~ ^(https?)://([^/:]+|\[::1\])(:([0-9]+))?(/.*)?$ ]]; then
    host=${BASH_REMATCH[2]} port=${BASH_REMATCH[4]} path=${BASH_REMATCH[5]:-/}
    if [[ ${BASH_REMATCH[1]} == https ]]; then
      (exec 9<>"/dev/tcp/$host/${port:-443}") 2>/dev/null
      return
    fi
    (
      exec 9<>"/dev/tcp/$host/${port:-80}" || exit 1
      printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&9
      IFS= read -r -t 5 line <&9 && [[ $line == HTTP/* ]] || exit 1
      # Read the answer whole, as a client does: the server is not cut off as it writes.
      while IFS= read -r -t 5 _ <&9; do :; done
    ) 2>/dev/null
  else
    (exec 9<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
  fi
}
# Stop each server as a reader does: Ctrl+C (SIGINT to its process group), then TERM, then KILL,
# five seconds apart; say how it ended. A server that failed before it was stopped (it had
# exited with a status other than 0) fails the script: a reader sees it die.
runbook_stop_servers() {
  local entry pid where status signal waited gone died=0
  for entry in "${runbook_servers[@]}"; do
    pid=${entry%% *} where=${entry#* } status=0 gone=
    for signal in INT TERM KILL; do
      if ! kill -s "$signal" -- "-$pid" 2>/dev/null; then
        if [[ $signal == INT ]]; then gone=1; fi
        break
      fi
      for ((waited = 0; waited < 50; waited++)); do
        kill -0 -- "-$pid" 2>/dev/null || break 2
        sleep 0.1
      done
    done
    wait "$pid" 2>/dev/null || status=$?
    runbook_event stopped "$where" "$status"
    if [[ -n $gone ]] && ((status != 0)); then
      printf 'runbook: the server of step %s exited with status %d before it was stopped\n' \
        "$where" "$status" >&2
      died=$status
    elif [[ -z $runbook_token ]]; then
      printf 'runbook: stopped the server of step %s (exit status %d)\n' "$where" "$status" >&2
    fi
  done
  runbook_servers=()
  if ((died != 0)); then
    runbook_reported=1
    exit "$died"
  fi
}
"""
