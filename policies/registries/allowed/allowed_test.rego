package wasmgate.policies.registries.allowed_test

import data.wasmgate.lib.testdata
import data.wasmgate.policies.registries.allowed as registries

_digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_with_image(image) := testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", {"image": image})]))

_violations(image) := vs if {
	vs := registries.violations with input as _with_image(image)
}

test_allowed_locations if {
	every image in [
		"quay.io/cybozu/ubuntu:22.04",
		"quay.io/cybozu/ubuntu",
		"ghcr.io/cybozu/x:1",
		"ghcr.io/cybozu-go/moco:0.1",
		"registry.k8s.io/pause:3.9",
		"registry.k8s.io/sig-storage/csi-provisioner:v4",
		"Quay.IO/cybozu/ubuntu",
		concat("", ["quay.io/cybozu/ubuntu:22.04@", _digest]),
	] {
		count(_violations(image)) == 0
	}
}

test_docker_hub_denied if {
	vs := _violations("nginx:1.27")
	vs == {{
		"policy": "registries",
		"path": "spec.template.spec.containers[0].image",
		"message": `Deployment app-a/web: container "web" image "nginx:1.27" comes from docker.io, which is not an allowed registry (allowed: quay.io/cybozu, ghcr.io/cybozu, ghcr.io/cybozu-go, registry.k8s.io); use an image from an allowed registry`,
	}}
	count(_violations("cybozu/ubuntu")) == 1
	count(_violations("docker.io/cybozu/ubuntu")) == 1
}

test_segment_boundary if {
	vs := _violations("quay.io/cybozuevil/x:1")
	count(vs) == 1
	some v in vs
	contains(v.message, "comes from quay.io/cybozuevil/x, which is not under an allowed registry path")
	count(_violations("quay.io.evil.example/cybozu/x")) == 1
	count(_violations("quay.io/x")) == 1
	count(_violations("quay.io:443/cybozu/x")) == 1
	count(_violations("registry.k8s.io.evil/pause")) == 1
}

test_port_and_localhost if {
	cfg := testdata.config_with("registries", {"allowed": ["localhost:5000/a", "registry.example:5000"]})
	count(_violations(concat("", ["localhost:5000/a/b:1@", _digest]))) == 0 with data.config as cfg
	count(_violations("registry.example:5000/any/thing:2")) == 0 with data.config as cfg
	count(_violations("localhost:5001/a/b")) == 1 with data.config as cfg
	count(_violations("localhost/a/b")) == 1 with data.config as cfg
}

test_index_docker_io_entry if {
	cfg := testdata.config_with("registries", {"allowed": ["index.docker.io/library"]})
	count(_violations("nginx")) == 0 with data.config as cfg
	count(_violations("docker.io/library/nginx:1")) == 0 with data.config as cfg
	count(_violations("someone/nginx")) == 1 with data.config as cfg
}

test_empty_and_missing_image if {
	vs := _violations("")
	count(vs) == 1
	some v in vs
	contains(v.message, `container "web" has no image`)
	inp := testdata.deployment("app-a", testdata.pod_spec([object.remove(testdata.container("web"), ["image"])]))
	count(registries.violations) == 1 with input as inp
}

test_invalid_reference if {
	vs := _violations("Quay.io/Cybozu/X")
	count(vs) == 1
	some v in vs
	contains(v.message, `image "Quay.io/Cybozu/X" is not a valid image reference`)
}

test_every_container_kind if {
	spec := object.union(testdata.pod_spec([testdata.container("web")]), {
		"initContainers": [testdata.container_with("init", {"image": "busybox"})],
		"ephemeralContainers": [{"name": "debug", "image": "ubuntu"}],
	})
	vs := registries.violations with input as testdata.pod("app-a", spec)
	{v.path | some v in vs} == {"spec.initContainers[0].image", "spec.ephemeralContainers[0].image"}
	some v in vs
	contains(v.message, `Pod app-a/web: ephemeral container "debug" image "ubuntu" comes from docker.io`)
}

# An image is parsed once however many containers use it; each still gets its own violation.
test_shared_image if {
	spec := testdata.pod_spec([
		testdata.container_with("web", {"image": "nginx:1.27"}),
		testdata.container_with("proxy", {"image": "nginx:1.27"}),
		testdata.container_with("ok", {"image": "quay.io/cybozu/ubuntu:22.04"}),
		testdata.container_with("bad", {"image": "Nginx"}),
		testdata.container_with("bad2", {"image": "Nginx"}),
	])
	vs := registries.violations with input as testdata.pod("app-a", spec)
	{[v.path, substring(v.message, 0, 40)] | some v in vs} == {
		["spec.containers[0].image", `Pod app-a/web: container "web" image "ng`],
		["spec.containers[1].image", `Pod app-a/web: container "proxy" image "`],
		["spec.containers[3].image", `Pod app-a/web: container "bad" image "Ng`],
		["spec.containers[4].image", `Pod app-a/web: container "bad2" image "N`],
	}
	cfg := testdata.config_with("registries", object.union(data.config.registries, {"requireDigest": true}))
	digests := registries.violations with input as testdata.pod("app-a", spec) with data.config as cfg
	{v.path | some v in digests; v.policy == "registries.digest"} == {"spec.containers[0].image", "spec.containers[1].image", "spec.containers[2].image"}
}

test_image_volumes if {
	spec := object.union(testdata.pod_spec([testdata.container("web")]), {"volumes": [
		{"name": "tmp", "emptyDir": {}},
		{"name": "model", "image": {"reference": "docker.io/evil/model:1"}},
		{"name": "ok", "image": {"reference": "quay.io/cybozu/model:1"}},
	]})
	vs := registries.violations with input as testdata.pod("app-a", spec)
	{v.path | some v in vs} == {"spec.volumes[1].image.reference"}
}

test_require_digest if {
	cfg := testdata.config_with("registries", object.union(data.config.registries, {"requireDigest": true}))
	vs := _violations("quay.io/cybozu/ubuntu:22.04") with data.config as cfg
	vs == {{
		"policy": "registries.digest",
		"path": "spec.template.spec.containers[0].image",
		"message": `Deployment app-a/web: container "web" image "quay.io/cybozu/ubuntu:22.04" is not pinned by digest; reference it as quay.io/cybozu/ubuntu@sha256:<digest>`,
	}}
	count(_violations(concat("", ["quay.io/cybozu/ubuntu:22.04@", _digest]))) == 0 with data.config as cfg
}

test_config_errors if {
	count(registries.config_errors) == 0
	cfg := testdata.config_with("registries", {
		"allowed": ["quay.io/cybozu", "https://quay.io", "quay.io/", "cybozu", "docker.io/x:1", "", 3, "ghcr.io/*", "localhost"],
		"requireDigest": "yes",
		"extra": 1,
	})
	errs := registries.config_errors with data.config as cfg
	errs == {
		`config.registries has unknown key "extra" (known: allowed, requireDigest)`,
		"config.registries.requireDigest must be a boolean, got string",
		`config.registries.allowed[1] "https://quay.io" is not a registry host or host/path (no scheme, tag, digest, wildcard or trailing slash)`,
		`config.registries.allowed[2] "quay.io/" is not a registry host or host/path (no scheme, tag, digest, wildcard or trailing slash)`,
		`config.registries.allowed[3] "cybozu" must start with a registry host (a name with "." or ":", or localhost), e.g. docker.io/cybozu`,
		`config.registries.allowed[4] "docker.io/x:1" is not a registry host or host/path (no scheme, tag, digest, wildcard or trailing slash)`,
		"config.registries.allowed[5] must be a non-empty string, got an empty string",
		"config.registries.allowed[6] must be a non-empty string, got number",
		`config.registries.allowed[7] "ghcr.io/*" is not a registry host or host/path (no scheme, tag, digest, wildcard or trailing slash)`,
	}
	errs2 := registries.config_errors with data.config as testdata.config_with("registries", {"allowed": "quay.io"})
	errs2 == {"config.registries.allowed must be an array, got string"}
	errs3 := registries.config_errors with data.config as testdata.config_with("registries", {})
	errs3 == {"config.registries.allowed is required"}
}
