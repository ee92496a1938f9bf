# METADATA
# title: Kubernetes resource quantities
# description: |
#   parse(q) reads a quantity ("500m", "0.5", "1e3", "128Mi", "1.5Gi", or a
#   JSON number) into {"units": integer part, "nanos": 0..999999999}, exact
#   and rounded up to the nano like Kubernetes does. Only integer arithmetic
#   below 2^53 is used, so topdown and WebAssembly agree bit for bit; values
#   that do not fit (above about 9e15 units) are treated as invalid.
#   Negative quantities are invalid: requests and limits cannot be negative
#   ("-0" is zero, as Kubernetes reads it).
package wasmgate.lib.quantity

import data.wasmgate.lib.chars

_max := 9007199254740992

# The lookup tables below are read from data.prepared.quantity when the host has prepared the data
# (main's prepare): the WASM runtime builds a rule's value anew in every evaluation.
_pow10 := t if {
	t := data.prepared.quantity.pow10
} else := [
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
	1000000000000000,
]

# suffix -> [binary exponent, decimal exponent]
_suffixes := t if {
	t := data.prepared.quantity.suffixes
} else := {
	"": [0, 0],
	"n": [0, -9], "u": [0, -6], "m": [0, -3],
	"k": [0, 3], "M": [0, 6], "G": [0, 9], "T": [0, 12], "P": [0, 15], "E": [0, 18],
	"Ki": [10, 0], "Mi": [20, 0], "Gi": [30, 0], "Ti": [40, 0], "Pi": [50, 0], "Ei": [60, 0],
}

_pow2 := t if {
	t := data.prepared.quantity.pow2
} else := {0: 1, 10: 1024, 20: 1048576, 30: 1073741824, 40: 1099511627776, 50: 1125899906842624, 60: 1152921504606846976}

# The zeros a decimal suffix appends, and the factor of a binary one, for the usual forms (_common).
_decimal_zeros := t if {
	t := data.prepared.quantity.decimal_zeros
} else := {"k": "000", "M": "000000", "G": "000000000"}

_binary_factors := t if {
	t := data.prepared.quantity.binary_factors
} else := {"Ki": 1024, "Mi": 1048576, "Gi": 1073741824}

parse(q) := _from_string(q) if is_string(q)

else := _from_number(q) if is_number(q)

else := {"units": 0, "nanos": 0} if _negative_zero(q)

# "-0", "-0.0", "-0Mi": Kubernetes reads a negative zero as zero. Only one sign is allowed.
_negative_zero(q) if {
	is_string(q)
	startswith(q, "-")
	not startswith(q, "-+")
	_from_string(substring(q, 1, -1)) == {"units": 0, "nanos": 0}
}

valid(q) if parse(q)

# less(a, b): quantity a is strictly less than quantity b (both parsed). One chain: the WASM
# build evaluates every body of a function.
less(a, b) if {
	a.units < b.units
} else if {
	a.units == b.units
	a.nanos < b.nanos
}

# The grammar is [+](digits[.digits*] | .digits)[e[+-]digits | binary or decimal suffix],
# checked with string functions (see lib/chars) rather than a regular expression. The usual forms
# are read first without the general path's arithmetic (_common).
_from_string(s) := v if {
	v := _common(s)
} else := v if {
	body := trim_prefix(s, "+")
	[mantissa, suffix_exp10, exp2] := _split_suffix(body)
	parts := split(mantissa, ".")
	_decimal(parts)
	whole := parts[0]
	frac := _fraction(parts)
	digits := concat("", [whole, frac])
	significant := trim_right(digits, "0")
	v := _from_digits(significant, (suffix_exp10 + count(digits)) - (count(significant) + count(frac)), exp2)
}

# The usual forms: digits, alone or with one of the suffixes m, k, M, G, Ki, Mi, Gi ("2", "500m",
# "256Mi"), small enough to read with string functions and at most one multiplication (every
# arithmetic operation of the WASM runtime goes through a decimal library and allocates).
# Undefined for every other form, which the general path then reads; where defined, it is what
# the general path gives.
_common(s) := v if {
	suffix := trim_left(s, chars.digits)
	digits := trim_suffix(s, suffix)
	digits != ""
	v := _common_value(trim_left(digits, "0"), suffix)
}

# n: the digits without leading zeros.
_common_value(n, suffix) := {"units": 0, "nanos": 0} if {
	n == ""
	_suffixes[suffix]
} else := {"units": to_number(n), "nanos": 0} if {
	suffix == ""
	count(n) <= 15
} else := {"units": 0, "nanos": to_number(concat("", [n, "000000"]))} if {
	suffix == "m"
	count(n) <= 3
} else := {"units": to_number(concat("", [n, zeros])), "nanos": 0} if {
	zeros := _decimal_zeros[suffix]
	count(n) <= 6
} else := {"units": to_number(n) * factor, "nanos": 0} if {
	factor := _binary_factors[suffix]
	count(n) <= 6
}

_fraction(parts) := parts[1] if count(parts) > 1

else := ""

# The mantissa split at ".": digits, optionally "." and digits, at least one digit.
_decimal([whole]) if chars.number(whole)

_decimal([whole, frac]) if {
	chars.only(whole, chars.digits)
	chars.only(frac, chars.digits)
	concat("", [whole, frac]) != ""
}

# [mantissa, decimal exponent, binary exponent]. The suffixes come first (the usual form, and no
# exponent form ends in a suffix letter: its last character is a digit).
_split_suffix(body) := [substring(body, 0, n - 2), s[1], s[0]] if {
	endswith(body, "i")
	n := count(body)
	n > 1
	s := _suffixes[substring(body, n - 2, 2)]
} else := [substring(body, 0, n - 1), s[1], s[0]] if {
	n := count(body)
	n > 0
	s := _suffixes[substring(body, n - 1, 1)]
} else := [m, to_number(trim_prefix(e, "+")), 0] if {
	[m, e] := split(replace(body, "E", "e"), "e")
	chars.number(trim_left(e, "+-"))
	count(e) - count(trim_left(e, "+-")) <= 1
} else := [body, 0, 0]

# significant: digits without trailing zeros; value = digits * 10^exp10 * 2^exp2.
_from_digits(significant, exp10, exp2) := {"units": 0, "nanos": 0} if {
	trim_left(significant, "0") == ""
} else := v if {
	n := trim_left(significant, "0")
	count(n) <= 15
	v := _canonical(to_number(n), exp10, exp2)
}

_from_number(x) := {"units": x, "nanos": 0} if {
	x >= 0
	x == floor(x)
	x < _max
} else := v if {
	x > 0
	x < _max
	exact := [i | some i in numbers.range(1, 9); y := x * _pow10[i]; y == floor(y)]
	count(exact) > 0
	k := min(exact)
	v := _canonical(x * _pow10[k], 0 - k, 0)
} else := _canonical(ceil(x * 1000000000), -9, 0) if {
	x > 0
	x < _max
}

# value = n * 10^exp10 * 2^exp2 as {units, nanos}, rounded up to the nano.
# (Every arithmetic operation of the WASM runtime goes through a decimal library: the usual
# exponents 0 skip theirs.)
_canonical(n, 0, 0) := {"units": n, "nanos": 0} if n < _max

_canonical(n, exp10, exp2) := v if {
	[exp10, exp2] != [0, 0]
	m := _times_pow2(n, exp2)
	m < _max
	v := _scaled(m, exp10)
}

_times_pow2(n, 0) := n

_times_pow2(n, exp2) := n * _pow2[exp2] if exp2 != 0

_scaled(m, 0) := {"units": m, "nanos": 0}

_scaled(m, exp10) := {"units": u, "nanos": 0} if {
	exp10 > 0
	exp10 <= 15
	u := m * _pow10[exp10]
	u < _max
} else := _carry((m - r) / d, _nanos(r, k)) if {
	exp10 < 0
	k := 0 - exp10
	k <= 15
	d := _pow10[k]
	r := m % d
} else := _carry(0, _nanos(m, 0 - exp10)) if {
	exp10 < -15
}

# r / 10^k expressed in nanos (r < 10^k), rounded up.
_nanos(r, k) := r * _pow10[9 - k] if {
	k <= 9
} else := q + _round_up(r % t) if {
	k - 9 <= 15
	t := _pow10[k - 9]
	q := (r - (r % t)) / t
} else := _round_up(r)

_round_up(rest) := 1 if rest > 0

else := 0

_carry(units, 1000000000) := {"units": units + 1, "nanos": 0}

_carry(units, nanos) := {"units": units, "nanos": nanos} if nanos < 1000000000

# What main's prepare stores under data.prepared.quantity.
prepared := {"pow10": _pow10, "suffixes": _suffixes, "pow2": _pow2, "decimal_zeros": _decimal_zeros, "binary_factors": _binary_factors}
