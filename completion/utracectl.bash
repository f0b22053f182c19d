# bash completion for utracectl(1). Installed as
# PREFIX/share/bash-completion/completions/utracectl; works with or without the
# bash-completion package (it uses only compgen and, when present, _command_offset).

_utracectl_pids() {
  local p pids=()
  for p in /proc/[0-9]*; do pids+=("${p#/proc/}"); done
  COMPREPLY=($(compgen -W "${pids[*]}" -- "$1"))
}

_utracectl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local commands="hello list stats call attach trace count regs who run"
  local events="quiesce reap clone exec exit death syscall_entry syscall_exit signal signal_ign signal_stop signal_term signal_core jctl"
  local methods="hello attach set_events control barrier wait get_regs set_regs read_memory write_memory list stats who"
  COMPREPLY=()

  # The command, and whether "--" (run's program) came before the cursor.
  local i cmd="" dashdash=0 nwords=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    local w=${COMP_WORDS[i]}
    if [[ $w == -- ]]; then dashdash=$i; break; fi
    case $w in
      --socket|--events|--mode|--output|--syscalls|-p|-o|-e|-s|-S) ((i++)); continue ;;
      -*) continue ;;
    esac
    if [[ -z $cmd ]]; then cmd=$w; else ((nwords++)); fi
  done

  if ((dashdash)); then
    if declare -F _command_offset >/dev/null; then
      _command_offset $((dashdash + 1))
    elif ((COMP_CWORD == dashdash + 1)); then
      COMPREPLY=($(compgen -c -- "$cur"))
    else
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0
  fi

  case $prev in
    --socket|--output|-o) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    -p) _utracectl_pids "$cur"; return 0 ;;
    -s) return 0 ;;
    -S) COMPREPLY=($(compgen -W "time avg-time min-time max-time calls errors name nothing" -- "$cur")); return 0 ;;
    -e) COMPREPLY=($(compgen -W "trace= status= signal= trace=%file trace=%process trace=%network trace=%desc trace=%memory trace=%signal trace=%ipc status=failed status=successful" -- "$cur"))
      compopt -o nospace 2>/dev/null
      return 0 ;;
    --mode) COMPREPLY=($(compgen -W "sync async concurrent" -- "$cur")); return 0 ;;
    --syscalls) return 0 ;;
    --events)
      local done_part="" last=$cur
      if [[ $cur == *,* ]]; then done_part=${cur%,*},; last=${cur##*,}; fi
      COMPREPLY=($(compgen -P "$done_part" -W "$events" -- "$last"))
      compopt -o nospace 2>/dev/null
      return 0 ;;
  esac

  if [[ $cur == -* ]]; then
    local opts="--socket --help --version"
    case $cmd in
      attach) opts+=" --events --mode --commands" ;;
      trace|count|run)
        # strace's letters (utracectl trace -h)
        opts+=" -p -f -ff -o -A -e -z -Z -s -x -xx -y -t -tt -ttt -r -T -c -C -S -w -q -qq -h -V"
        [[ $cmd == run ]] && opts+=" --seccomp-bpf --follow --count --output --events --syscalls --seccomp --" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    return 0
  fi
  case $cmd in
    attach|trace|count|regs|who) ((nwords == 0)) && _utracectl_pids "$cur" ;;
    call) ((nwords == 0)) && COMPREPLY=($(compgen -W "$methods" -- "$cur")) ;;
    run) COMPREPLY=($(compgen -W "--" -- "$cur")) ;;
  esac
  return 0
}

complete -F _utracectl utracectl
