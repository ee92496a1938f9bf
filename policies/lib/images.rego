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
parse(ref) := r if {
	is_string(ref)
	valid(ref)
	at := split(ref, "@")
	segments := split(at[0], "/")
	n := count(segments)
	last := split(segments[n - 1], ":")
	names := array.concat(array.slice(segments, 0, n - 1), [last[0]])
	registry := _registry(names)
	path := _path(registry, names)
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
# [domain/]component(/component)*[:tag][@digest], checked with string
# functions (see lib/chars) rather than one regular expression: the segments
# between "/" hold no "/", and only the last may carry a tag, so each can be
# checked on its own.
valid(ref) if {
	at := split(ref, "@")
	_digest_part(at)
	segments := split(at[0], "/")
	n := count(segments)
	_name_and_tag(split(segments[n - 1], ":"))
	_leading_segments(array.slice(segments, 0, n - 1))
}

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

_first_segment(s) if component(s)

_first_segment(s) if domain(s)

# component(s): [a-z0-9]+ joined by ".", "_", "__" or runs of "-".
component(s) if {
	s != ""
	chars.only(s, "abcdefghijklmnopqrstuvwxyz0123456789._-")
	trim(s, "._-") == s
	not _bad_separator(s)
}

# Between two alphanumerics: ".", "_", "__" or "-"+; any other pair of separators is not allowed.
_bad_separator(s) if {
	some pair in ["..", "._", ".-", "_.", "_-", "-.", "-_", "___"]
	contains(s, pair)
}

# domain(s): host name labels joined by "." or a bracketed IPv6 address, with an optional :port.
domain(s) if {
	parts := split(s, ":")
	_port(array.slice(parts, 1, count(parts)))
	every label in split(parts[0], ".") {
		_domain_label(label)
	}
}

domain(s) if {
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
	chars.only(s, concat("", [chars.alnum, "-"]))
	trim(s, "-") == s
}

# _tag(s): [a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}
_tag(s) if {
	s != ""
	count(s) <= 128
	chars.only(s, concat("", [chars.alnum, "_.-"]))
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

# has_registry(names): the first segment names a registry host.
has_registry(names) if {
	count(names) > 1
	is_registry_host(names[0])
}

is_registry_host(s) if contains(s, ".")

is_registry_host(s) if contains(s, ":")

is_registry_host("localhost")

is_registry_host(s) if lower(s) != s

_registry(names) := normalize_registry(names[0]) if has_registry(names)

else := "docker.io"

# normalize_registry: host names are case-insensitive; index.docker.io is docker.io.
normalize_registry(host) := "docker.io" if lower(host) == "index.docker.io"

else := lower(host)

_path(registry, names) := _docker_hub_path(registry, _rest(names))

_rest(names) := array.slice(names, 1, count(names)) if has_registry(names)

else := names

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
under(repository, location) if repository == location

under(repository, location) if startswith(repository, concat("", [location, "/"]))
