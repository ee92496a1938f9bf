# METADATA
# title: Character classes without regular expressions
# description: |
#   OPA's WASM runtime compiles every regex.match pattern again on each
#   evaluation (its regex cache is freed with the heap), which made the
#   pattern checks most of a small decision. The per-request checks test
#   character classes with trim_left instead: a string consists only of
#   characters of a cutset exactly when trimming them all leaves nothing.
package wasmgate.lib.chars

digits := "0123456789"

lower_alnum := "abcdefghijklmnopqrstuvwxyz0123456789"

alnum := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

letters := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

hex := "0123456789abcdefABCDEF"

# only(s, cutset): every character of s is in cutset (true for "").
only(s, cutset) if trim_left(s, cutset) == ""

# number(s): one or more ASCII digits.
number(s) if {
	s != ""
	only(s, digits)
}
