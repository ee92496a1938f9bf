# The image-reference parse as it was before the policies stopped using
# regular expressions (policies/lib/images.rego at 40c2bb0), kept only so
# test/policies/regex-free.test.ts can show that the string-function version
# decides the same. Not part of the shipped policies.
package oracle.images

_component := `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`

_domain_label := `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`

_domain := sprintf(`(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`, [_domain_label, _domain_label])

_tag := `[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}`

_digest := `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`

reference_pattern := sprintf(`^(?:%s/)?%s(?:/%s)*(?::%s)?(?:@%s)?$`, [_domain, _component, _component, _tag, _digest])

# parse(ref) is {registry, path, repository, tag, digest} for a valid
# reference and undefined otherwise. repository is "<registry>/<path>".
parse(ref) := r if {
	is_string(ref)
	regex.match(reference_pattern, ref)
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
