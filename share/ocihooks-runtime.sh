#!/bin/sh
# ocihooks-runtime's front-end, written by `ocihooks install`: a call that needs none of the
# wrapper's code (every runtime subcommand but create and run) goes straight to the runtime,
# without starting Node; create, run, --ocihooks-help/-version, --root-per-user and anything this
# script cannot decide go to the wrapper itself, which also reports every error. It reads the command line as
# src/runtime/options.ts and args.ts do (src/runtime/front-end.test.ts runs both on a table).
# OCIHOOKS_FRONTEND_TRACE=1: print the decision instead of acting on it.
wrapper() {
  if [ -n "$OCIHOOKS_FRONTEND_TRACE" ]; then echo wrapper; exit 0; fi
  exec '@LAUNCHER@' "$@"
}
# runtime_line LINE: the value of a line that is exactly '"runtime": "VALUE"' (spaces around, one
# trailing comma at most, no quote or backslash in VALUE), as install writes it, into $runtime.
trim() { t=$1; t=${t#"${t%%[![:space:]]*}"}; t=${t%"${t##*[![:space:]]}"}; }
runtime_line() {
  trim "$1"; l=${t%,}; trim "$l"
  case $t in '"runtime"'*) ;; *) return 0 ;; esac
  trim "${t#'"runtime"'}"
  case $t in :*) ;; *) return 0 ;; esac
  trim "${t#:}"
  case $t in \"*\") ;; *) return 0 ;; esac
  v=${t#\"}; v=${v%\"}
  case $v in *[\"\\]*) return 0 ;; esac
  runtime=$v
}
# no_match ARGS: whether create/run may go straight to the runtime because no hooks.d file can
# match it (src/runtime/no-match-index.ts writes the index and says when): an engine-style call (no
# options of ours, settings from the config file, which gives no annotations), an index for this
# config file newer than it and than each hooks folder and *.json in them, a bundle config.json
# without annotations, and no slurmstepd above (Slurm steps get their GPUs from the wrapper).
index=${OCIHOOKS_RUNTIME_INDEX:-/run/ocihooks/runtime-index}
newer() { [ ! -e "$1" ] || [ "$index" -nt "$1" ]; }
no_match() {
  [ "$n" -eq 0 ] && [ -f "$config" ] && [ "$config_annotations" = no ] && [ -f "$index" ] && [ "$index" -nt "$config" ] || return 1
  covered=no
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      'ocihooks-runtime no-match index 1') ;;
      config=*) [ "${line#config=}" = "$config" ] || return 1; covered=yes ;;
      dir=*) d=${line#dir=}; newer "$d" || return 1
             for f in "$d"/*.json; do newer "$f" || return 1; done ;;
      *) return 1 ;;
    esac
  done < "$index"
  [ "$covered" = yes ] || return 1
  under_slurmstepd && return 1
  bundle=$PWD after=no prev=
  for a in "$@"; do
    if [ "$after" = yes ]; then
      case $prev in --bundle|-b) bundle=$a ;; esac
      case $a in --bundle=*) bundle=${a#--bundle=} ;; -b=*) bundle=${a#-b=} ;; esac
    elif [ "$a" = "$sub" ]; then after=yes
    fi
    prev=$a
  done
  case $bundle in /*) ;; *) bundle=$PWD/$bundle ;; esac
  [ -r "$bundle/config.json" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in *'"annotations"'*) return 1 ;; esac
  done < "$bundle/config.json"
  return 0
}
under_slurmstepd() {
  p=$PPID
  for _ in 1 2 3 4; do
    [ -r "/proc/$p/comm" ] || return 1
    IFS= read -r comm < "/proc/$p/comm"
    [ "$comm" = slurmstepd ] && return 0
    pp=
    while IFS= read -r line; do case $line in PPid:*) pp=${line#PPid:}; pp=${pp#"${pp%%[!	 ]*}"}; break ;; esac; done < "/proc/$p/status"
    [ -n "$pp" ] && [ "$pp" -gt 1 ] || return 1
    p=$pp
  done
  return 1
}
annotation_ok() { case $1 in =*) return 1 ;; *=*) return 0 ;; *) return 1 ;; esac; }
dashdash=no
for a in "$@"; do [ "$a" = -- ] && dashdash=yes; done
# The wrapper's own options: how many leading arguments are ours, and the runtime named.
runtime= n=0 want=
for a in "$@"; do
  if [ -n "$want" ]; then
    if [ "$want" = --runtime ]; then runtime=$a; fi
    if [ "$want" = --annotation ] && ! annotation_ok "$a"; then wrapper "$@"; fi
    want= n=$((n + 1)); continue
  fi
  case $a in
    --) n=$((n + 1)); break ;;
    --runtime=*) runtime=${a#--runtime=}; n=$((n + 1)) ;;
    --annotation=*) annotation_ok "${a#--annotation=}" || wrapper "$@"; n=$((n + 1)) ;;
    --hooks-dir=*|--log-file=*|--cdi-spec-dir=*) n=$((n + 1)) ;;
    --runtime|--hooks-dir|--annotation|--log-file|--cdi-spec-dir) want=$a; n=$((n + 1)) ;;
    --ocihooks-help|--ocihooks-version|--root-per-user|--root-per-user=*) wrapper "$@" ;;
    *) if [ "$dashdash" = yes ]; then wrapper "$@"; fi; break ;;
  esac
done
if [ -n "$want" ]; then wrapper "$@"; fi
# The runtime's subcommand: past its global options (those with a value take the next argument).
i=0 skip=no sub=
for a in "$@"; do
  i=$((i + 1))
  if [ "$i" -le "$n" ]; then continue; fi
  if [ "$skip" = yes ]; then skip=no; continue; fi
  case $a in
    --root|--log|--log-format|--criu|--rootless|--log-level|--cgroup-manager) skip=yes ;;
    -*) ;;
    *) sub=$a; break ;;
  esac
done
# The runtime: --runtime, else the config file's "runtime" (as install writes it), else runc.
config=${OCIHOOKS_RUNTIME_CONFIG:-/etc/ocihooks/runtime.json}
config_annotations=no
if [ -z "$runtime" ]; then
  if [ -f "$config" ]; then
    # Read with the shell's own read and patterns: no grep or sed process (each fork costs ~1.5 ms,
    # and docker makes four runtime calls to stop a container).
    mentioned=no
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in *'"runtime"'*) mentioned=yes; runtime_line "$line" ;; esac
      case $line in *'"annotations"'*) config_annotations=yes ;; esac
    done < "$config"
    if [ "$mentioned" = yes ] && [ -z "$runtime" ]; then wrapper "$@"; fi
  elif [ -n "$OCIHOOKS_RUNTIME_CONFIG" ]; then
    wrapper "$@"
  fi
fi
if [ "$sub" = create ] || [ "$sub" = run ]; then no_match "$@" || wrapper "$@"; fi
runtime=${runtime:-runc}
case $runtime in
  /*) path=$runtime ;;
  */*) wrapper "$@" ;;
  *) path=
     for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
       if [ -e "$d/$runtime" ]; then path=$d/$runtime; break; fi
     done
     if [ -z "$path" ]; then wrapper "$@"; fi ;;
esac
shift "$n"
if [ -n "$OCIHOOKS_FRONTEND_TRACE" ]; then printf 'exec %s' "$path"; for a in "$@"; do printf ' [%s]' "$a"; done; echo; exit 0; fi
exec "$path" "$@"
