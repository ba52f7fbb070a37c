# fish completion for tagcon.  The words typed so far go to `tagcon complete`,
# which knows the commands, their options, the settings and their values, and
# the library's tag names (with a description each); file names are fish's.

function __tagcon_complete
	set -l cur (commandline -ct)
	set -l words (commandline -opc) "$cur"
	set -l out (command $words[1] complete --shell fish -- $words[2..-1] 2>/dev/null)
	printf '%s\n' $out[2..-1]
	switch "$out[1]"
		case files
			__fish_complete_path "$cur"
		case dirs
			__fish_complete_directories "$cur"
	end
end

complete -c tagcon -f -a '(__tagcon_complete)'
