# METADATA
# title: Container image references
# description: |
#   Parses an image reference the way the container runtime does
#   (distribution/reference): the first path segment is a registry only if it
#   contains "." or ":", is "localhost", or has upper-case letters; otherwise
#   the registry is docker.io. index.docker.io is docker.io, and one-segment
#   Docker Hub names live under library/.
package wasmgate.lib.images

import data.wasmgate.lib.chars

# parse(ref) is {registry, path, repository, tag, digest} for a valid
# reference and undefined otherwise. repository is "<registry>/<path>".
# The reference is split once, and the pieces are checked as they are split.
parse(ref) := r if {
	is_string(ref)
	at := split(ref, "@")
	_digest_part(at)
	segments := split(at[0], "/")
	n := count(segments)
	last := split(segments[n - 1], ":")
	_name_and_tag(last)
	leading := array.slice(segments, 0, n - 1)
	_leading_segments(leading)
	[registry, path] := _registry_and_path(array.concat(leading, [last[0]]))
	r := {
		"registry": registry,
		"path": path,
		"repository": concat("/", [registry, path]),
		"tag": _second(last),
		"digest": _second(at),
	}
}

_second(parts) := parts[1] if count(parts) > 1

else := ""

# valid(ref): ref follows distribution/reference's grammar,
# [domain/]component(/component)*[:tag][@digest], which parse checks with
# string functions (see lib/chars) rather than one regular expression: the
# segments between "/" hold no "/", and only the last may carry a tag, so each
# can be checked on its own.
valid(ref) if parse(ref)

_digest_part([_])

_digest_part([_, d]) if digest(d)

_name_and_tag([name]) if component(name)

_name_and_tag([name, tag]) if {
	component(name)
	_tag(tag)
}

# Every segment before the last is a path component; the first may be a domain instead.
_leading_segments([])

_leading_segments(segments) if {
	count(segments) > 0
	_first_segment(segments[0])
	every s in array.slice(segments, 1, count(segments)) {
		component(s)
	}
}

# (Alternatives are else chains throughout: the WASM build evaluates every body of a function,
# an else chain only until one holds.)
_first_segment(s) if {
	component(s)
} else if {
	domain(s)
}

# The character classes as cutsets of chars.only, the usual characters first: trim_left compares
# each character with the cutset's in turn.
_component_chars := "eaoinrstlc.-dumhgpbykfwvxjqz0123456789_"

_label_chars := "eaoinrstlc-dumhgpbykfwvxjqz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_tag_chars := "0123456789.-eaoinrstlcdumhgpbykfwvxjqz_ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# component(s): [a-z0-9]+ joined by ".", "_", "__" or runs of "-".
component(s) if {
	s != ""
	chars.only(s, _component_chars)
	trim(s, "._-") == s
	not _bad_separator(s)
}

# Between two alphanumerics: ".", "_", "__" or "-"+; any other pair of separators is not allowed.
# Every such pair has a "." or a "_".
_bad_separator(s) if {
	_dot_or_underscore(s)
	some pair in _bad_pairs
	contains(s, pair)
}

_bad_pairs := ["..", "._", ".-", "_.", "_-", "-.", "-_", "___"]

_dot_or_underscore(s) if {
	contains(s, ".")
} else if {
	contains(s, "_")
}

# domain(s): host name labels joined by "." or a bracketed IPv6 address, with an optional :port.
domain(s) if {
	parts := split(s, ":")
	_port(array.slice(parts, 1, count(parts)))
	every label in split(parts[0], ".") {
		_domain_label(label)
	}
} else if {
	parts := split(s, "]")
	count(parts) == 2
	startswith(parts[0], "[")
	address := trim_prefix(parts[0], "[")
	address != ""
	chars.only(address, concat("", [chars.hex, ":"]))
	_bracket_port(parts[1])
}

# The parts of a host name after the first ":": none, or one port number.
_port([])

_port([p]) if chars.number(p)

# What follows "]": nothing, or ":" and a port number.
_bracket_port("")

_bracket_port(s) if {
	startswith(s, ":")
	chars.number(trim_prefix(s, ":"))
}

_domain_label(s) if {
	s != ""
	chars.only(s, _label_chars)
	trim(s, "-") == s
}

# _tag(s): [a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}
_tag(s) if {
	s != ""
	count(s) <= 128
	chars.only(s, _tag_chars)
	trim_left(s, ".-") == s
}

# digest(s): algorithm:hex, the algorithm being letter-led alphanumeric parts
# joined by one of "-_+.", the hex part at least 32 digits.
digest(s) if {
	[algorithm, encoded] := split(s, ":")
	chars.only(algorithm, concat("", [chars.alnum, "-_+."]))
	every part in split(strings.replace_n({"-": ".", "_": ".", "+": "."}, algorithm), ".") {
		part != ""
		trim_left(part, chars.digits) == part
	}
	count(encoded) >= 32
	chars.only(encoded, chars.hex)
}

# [registry, path] of the reference's names (its "/"-separated segments without the tag): the
# first names a registry host only when there are more.
_registry_and_path(names) := [registry, _docker_hub_path(registry, array.slice(names, 1, count(names)))] if {
	count(names) > 1
	is_registry_host(names[0])
	registry := normalize_registry(names[0])
} else := ["docker.io", _docker_hub_path("docker.io", names)]

is_registry_host(s) if {
	contains(s, ".")
} else if {
	contains(s, ":")
} else if {
	s == "localhost"
} else if {
	lower(s) != s
}

# normalize_registry: host names are case-insensitive; index.docker.io is docker.io.
normalize_registry(host) := _docker_hub_alias(lower(host))

_docker_hub_alias(host) := "docker.io" if host == "index.docker.io"

else := host

_docker_hub_path(registry, rest) := concat("/", ["library", rest[0]]) if {
	registry == "docker.io"
	count(rest) == 1
}

else := concat("/", rest)

# location(s): a registry host or host/path as config.registries.allowed
# holds them: a domain and path components, no tag or digest.
location(s) if {
	is_string(s)
	segments := split(s, "/")
	domain(segments[0])
	every c in array.slice(segments, 1, count(segments)) {
		component(c)
	}
}

# under(repository, location): location is a registry host or host/path and
# the repository is that location or below it (whole segments only).
under(repository, location) if {
	repository == location
} else if {
	startswith(repository, concat("", [location, "/"]))
}
