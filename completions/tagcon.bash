# bash completion for tagcon.  The words typed so far go to `tagcon complete`,
# which knows the commands, their options, the settings and their values, and
# the library's tag names; this script only hands them over and adds file
# names where tagcon says a file or folder goes.

_tagcon()
{
	local cur words cword
	if declare -F _get_comp_words_by_ref >/dev/null; then
		# "rating:g" and "--db=x" stay one word (bash itself splits at : and =).
		_get_comp_words_by_ref -n =: cur words cword
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
	fi
	local quoted=
	case $cur in
	\'* | \"*) quoted=${cur:0:1} ;;
	esac
	local IFS=$'\n'
	local -a out
	out=($(command "${words[0]}" complete --shell bash -- "${words[@]:1:cword-1}" \
		"${cur#[\'\"]}" 2>/dev/null))
	COMPREPLY=()
	local kind=${out[0]} w
	for w in "${out[@]:1}"; do
		if [[ -n $quoted || $kind != none ]]; then
			COMPREPLY+=("$quoted$w")
		else
			COMPREPLY+=("$(printf '%q' "$w")")
		fi
	done
	case $kind in
	files) COMPREPLY+=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
	dirs) COMPREPLY+=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
	esac
	# bash replaces only what follows the last ':' of the word.
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local colon=${cur%"${cur##*:}"}
		COMPREPLY=("${COMPREPLY[@]#"$colon"}")
	fi
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}
complete -F _tagcon tagcon
