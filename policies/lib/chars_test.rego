package wasmgate.lib.chars_test

import data.wasmgate.lib.chars

test_only if {
	chars.only("", chars.digits)
	chars.only("abc-9", concat("", [chars.lower_alnum, "-"]))
	not chars.only("abC", chars.lower_alnum)
	not chars.only("é", chars.letters)
	not chars.only("a b", chars.alnum)
	chars.only("DEADbeef09", chars.hex)
	not chars.only("0x10", chars.hex)
}

test_number if {
	chars.number("0")
	chars.number("0042")
	every s in ["", "-1", "+1", "1.5", "١", " 1", "1\n"] {
		not chars.number(s)
	}
}
