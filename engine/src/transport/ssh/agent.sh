# converge's agent: one per host and run, on one ssh channel. It reads framed
# requests on stdin and answers framed replies on stdout, one at a time (the
# wire format is described in protocol.rs). $1 is the session's nonce: every
# request starts with it, so a stream out of step stops the agent instead of
# running what it reads.
set -m # each command in its own process group, without SIGINT ignored
N=$1
K=0 X=0
U=$(umask)
# Our files, removed on the way out; those of agents that could not clean
# up (killed) are removed by the next one.
for d in "${TMPDIR:-/tmp}"/.converge-agent-*; do
	p=${d##*/.converge-agent-}
	[[ -O $d && ${p%%.*} =~ ^[0-9]+$ ]] && ! kill -0 "${p%%.*}" 2> /dev/null && rm -rf -- "$d"
done
D=$(mktemp -d "${TMPDIR:-/tmp}/.converge-agent-$$.XXXXXXXX") || exit 97
trap 'rm -rf -- "$D"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 143' TERM
printf 'converge-agent %s %s\n' "$N" "$$"

# An error for one request (E), or one after which the stream is lost (D).
e() { printf 'E%s\0%s\0' "$1" "$2"; }
fatal() { printf 'D%s\0%s\0' "$1" "$2"; exit 1; }
# The first line of what a tool complained about in $D/m, else $1.
m() { local l=; IFS= read -r l < "$D/m"; printf '%s' "${l:-$1}"; }
# Consume a payload that will not be used, to stay in step.
skip() { head -c "$1" > /dev/null; }

# Run: $1 the command line, $2 the size of its stdin ("" for none). Each
# command gets files of its own: something it leaves running may still
# write to them, so they are never reused, and swept now and then.
x() {
	local in=/dev/null pid rc o=$D/o$K e=$D/e$K s
	K=$((K + 1))
	if [[ -n $2 ]]; then
		in=$D/i$K
		head -c "$2" > "$in" 2> "$D/m" || fatal "" "cannot store stdin: $(m head)"
	fi
	(set +m; eval "$1") < "$in" > "$o" 2> "$e" &
	pid=$!
	printf 'P%s\n' "$pid"
	wait "$pid"
	rc=$?
	# Small output without NUL bytes is read and sent by bash itself (no
	# process to start); anything else is measured by stat and sent by
	# head, not cat: the file may grow after stat.
	local LC_ALL=C vo= ve= big=
	[[ -s $o ]] && IFS= read -r -d '' -n 65536 vo < "$o" && big=1
	[[ -s $e ]] && IFS= read -r -d '' -n 65536 ve < "$e" && big=1
	if [[ -z $big ]]; then
		printf 'X%s %s %s\n%s%s' "$rc" "${#vo}" "${#ve}" "$vo" "$ve"
	else
		s=($(stat -c %s -- "$o" "$e")) || fatal "" "cannot read the command's output"
		printf 'X%s %s %s\n' "$rc" "${s[0]}" "${s[1]}"
		((s[0])) && head -c "${s[0]}" -- "$o"
		((s[1])) && head -c "${s[1]}" -- "$e"
	fi
	X=$((X + 1))
	((X % 64)) || rm -f -- "$D"/[oei]*
}

# Read: stat every path, then the content of the regular files, in one go.
r() {
	local k= p ex=() rg=()
	for p; do
		if [[ -L $p ]]; then k+=o; ex+=("$p")
		elif [[ -f $p ]]; then k+=f; ex+=("$p"); rg+=("$p")
		elif [[ -e $p ]]; then k+=o; ex+=("$p")
		else k+=m; fi
	done
	for p in "${rg[@]}"; do
		[[ -r $p ]] || { e "$p" "Permission denied"; return; }
	done
	if ((${#rg[@]})); then
		LC_ALL=C cat -- "${rg[@]}" > "$D/c" 2> "$D/m" || { e "${rg[0]}" "$(m 'cannot read')"; return; }
	else
		: > "$D/c" || fatal "" "cannot write to $D"
	fi
	printf 'F%s\n' "$k"
	LC_ALL=C stat --printf '%f %u %g %s %U %G\n' -- "${ex[@]}" "$D/c" 2> /dev/null
	printf '.\n'
	cat -- "$D/c"
}

# Write: $1 path, $2 makedirs (1/0), $3 user, $4 group, $5 mode (octal,
# "" to keep), $6 size; the content follows.
w() {
	local p=$1 dir=. t
	[[ $p == */* ]] && dir=${p%/*} && dir=${dir:-/}
	if [[ $2 == 1 && ! -d $dir ]] && ! LC_ALL=C mkdir -p -- "$dir" 2> "$D/m"; then
		skip "$6"; e "$p" "$(m mkdir)"; return
	fi
	if [[ ! -d $dir ]]; then
		skip "$6"; e "$p" "Parent directory not present"; return # transport::NO_PARENT
	fi
	# A new name (never followed if it exists: noclobber), private (umask)
	# until the content is in and the owner and mode are set.
	p=${p##*/}
	t=$dir/.${p:0:100}.converge-$$-$K$RANDOM
	K=$((K + 1))
	set -C
	umask 077
	{ : > "$t"; } 2>| "$D/m" # (noclobber is for $t only)
	local made=$?
	umask "$U"
	set +C
	if ((made)); then
		skip "$6"; e "$1" "$(m 'cannot create a temporary file')"; return
	fi
	head -c "$6" >> "$t" 2> "$D/m" || { rm -f -- "$t"; fatal "$1" "$(m 'cannot write')"; }
	local own=$3
	[[ -n $4 ]] && own+=:$4
	if {
		if [[ -e $1 ]]; then
			{ [[ -n $3 && -n $4 ]] || LC_ALL=C chown --reference="$1" -- "$t"; } &&
			{ [[ -z $own ]] || LC_ALL=C chown -- "$own" "$t"; } &&
			LC_ALL=C chmod "${5:---reference=$1}" -- "$t"
		else
			{ [[ -z $own ]] || LC_ALL=C chown -- "$own" "$t"; } &&
			LC_ALL=C chmod "${5:-644}" -- "$t"
		fi
	} 2> "$D/m" && LC_ALL=C mv -fT -- "$t" "$1" 2>> "$D/m"; then
		printf 'W\n'
	else
		rm -f -- "$t"; e "$1" "$(m 'cannot replace the file')"
	fi
}

while IFS=' ' read -r n op c; do
	[[ $n == "$N" && $c =~ ^[0-9]+$ ]] || exit 96
	a=()
	for ((i = 0; i < c; i++)); do
		IFS= read -r -d '' f || exit 95
		a+=("$f")
	done
	case $op in
		x) x "${a[@]}" ;;
		r) r "${a[@]}" ;;
		w) w "${a[@]}" ;;
		*) exit 94 ;;
	esac
done
