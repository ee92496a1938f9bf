# METADATA
# title: Allowed image registries
# description: |
#   registries: every image of every container, init container and ephemeral
#   container (and every image volume) must come from an allowed location,
#   compared on whole host names and whole path segments after normalising
#   the reference like the container runtime does.
#   registries.digest: with config.registries.requireDigest, images must be
#   pinned by digest.
# custom:
#   id: registries
#   action: deny
#   remediation: Use an image from a registry location in config.registries.allowed (pinned by digest when config.registries.requireDigest is set).
#   data:
#     - config.registries.allowed
#     - config.registries.requireDigest
#   rules:
#     registries.digest: Images pinned by digest
package wasmgate.policies.registries.allowed

import data.wasmgate.lib.config
import data.wasmgate.lib.images
import data.wasmgate.lib.messages
import data.wasmgate.lib.pods

metadata := rego.metadata.chain()

_settings := config.section("registries")

# The configured entries as written (for messages).
allowed := [e | some e in _settings.allowed; is_string(e)]

# The entries normalised for comparison (host lower-cased, index.docker.io -> docker.io): read from
# data.prepared.policies.registries.allowed when the host has prepared the data (main's prepare),
# else computed.
allowed_locations := s if {
	s := data.prepared.policies.registries.allowed.allowed_locations
} else := {_normalize(e) | some e in allowed}

# What main's prepare stores under data.prepared.policies.registries.allowed.
prepared := {"allowed_locations": allowed_locations}

_normalize(entry) := concat("/", array.concat([images.normalize_registry(parts[0])], array.slice(parts, 1, count(parts)))) if {
	parts := split(entry, "/")
}

require_digest if _settings.requireDigest == true

# Every image reference in the request by its path: {image, path} and the container (a member of
# pods.containers) or the image volume it is in; messages name it with _label(ref).
image_refs[path] := {"image": object.get(c.container, "image", null), "container": c, "path": path} if {
	some c in pods.containers
	path := concat(".", [c.path, "image"])
}

image_refs[path] := {"image": object.get(v, ["image", "reference"], null), "volume": v, "path": path} if {
	some pod in pods.pod_specs
	some i, v in pod.spec.volumes
	is_object(v.image)
	path := sprintf("%s.volumes[%d].image.reference", [pod.path, i])
}

# How messages name a reference's container or image volume.
_label(ref) := pods.label(ref.container) if {
	is_object(ref.container)
} else := sprintf("image volume %q", [object.get(ref.volume, "name", "")])

# The valid references parsed once each, by reference (a pod's containers often share one), and
# those not from an allowed location.
_parsed[image] := images.parse(image) if {
	some image in {ref.image | some ref in image_refs}
}

_rejected[image] := parsed if {
	some image, parsed in _parsed
	not _allowed(parsed.repository)
}

violations contains messages.violation("registries", ref.path, msg) if {
	some ref in image_refs
	not _non_empty_string(ref.image)
	msg := sprintf("%s has no image; set an image from an allowed registry (allowed: %s)", [_label(ref), messages.list(allowed)])
}

violations contains messages.violation("registries", ref.path, msg) if {
	some ref in image_refs
	_non_empty_string(ref.image)
	not _parsed[ref.image]
	msg := sprintf("%s image %q is not a valid image reference; use [registry/]repository[:tag][@digest] from an allowed registry", [_label(ref), ref.image])
}

violations contains messages.violation("registries", ref.path, msg) if {
	some ref in image_refs
	parsed := _rejected[ref.image]
	msg := _not_allowed_message(ref, parsed)
}

violations contains messages.violation("registries.digest", ref.path, msg) if {
	require_digest
	some ref in image_refs
	parsed := _parsed[ref.image]
	parsed.digest == ""
	msg := sprintf("%s image %q is not pinned by digest; reference it as %s@sha256:<digest>", [_label(ref), ref.image, parsed.repository])
}

_allowed(repository) if {
	some location in allowed_locations
	images.under(repository, location)
}

# The host itself is not allowed at all: name the host. Otherwise the host is
# allowed only below some path: name the repository.
_not_allowed_message(ref, parsed) := sprintf(
	"%s image %q comes from %s, which is not an allowed registry (allowed: %s); use an image from an allowed registry",
	[_label(ref), ref.image, parsed.registry, messages.list(allowed)],
) if {
	not _host_listed(parsed.registry)
} else := sprintf(
	"%s image %q comes from %s, which is not under an allowed registry path (allowed: %s); use an image from an allowed registry",
	[_label(ref), ref.image, parsed.repository, messages.list(allowed)],
)

_host_listed(host) if {
	some location in allowed_locations
	split(location, "/")[0] == host
}

_non_empty_string(s) if {
	is_string(s)
	s != ""
}

# --- configuration checks for config.registries ---

config_errors contains msg if {
	some msg in config.unknown_key_errors("config.registries", _settings, {"allowed", "requireDigest"})
}

config_errors contains msg if {
	some msg in config.type_errors("config.registries", _settings, "allowed", "array", true)
}

config_errors contains msg if {
	some msg in config.type_errors("config.registries", _settings, "requireDigest", "boolean", false)
}

config_errors contains msg if {
	is_array(_settings.allowed)
	some msg in config.string_list_errors("config.registries.allowed", _settings.allowed)
}

config_errors contains sprintf("config.registries.allowed[%d] %q is not a registry host or host/path (no scheme, tag, digest, wildcard or trailing slash)", [i, e]) if {
	some i, e in _settings.allowed
	is_string(e)
	e != ""
	not images.location(e)
}

config_errors contains sprintf("config.registries.allowed[%d] %q must start with a registry host (a name with \".\" or \":\", or localhost), e.g. docker.io/%s", [i, e, e]) if {
	some i, e in _settings.allowed
	images.location(e)
	not images.is_registry_host(split(e, "/")[0])
}
