package wasmgate.lib.images_test

import data.wasmgate.lib.images

test_docker_hub_normalisation if {
	images.parse("nginx").repository == "docker.io/library/nginx"
	images.parse("nginx:1.27").repository == "docker.io/library/nginx"
	images.parse("nginx:1.27").tag == "1.27"
	images.parse("library/nginx").repository == "docker.io/library/nginx"
	images.parse("cybozu/ubuntu:22.04").repository == "docker.io/cybozu/ubuntu"
	images.parse("index.docker.io/nginx").repository == "docker.io/library/nginx"
	images.parse("docker.io/nginx").repository == "docker.io/library/nginx"
	images.parse("INDEX.DOCKER.IO/cybozu/x").repository == "docker.io/cybozu/x"
}

test_registry_detection if {
	images.parse("quay.io/cybozu/ubuntu:22.04").registry == "quay.io"
	images.parse("quay.io/cybozu/ubuntu:22.04").path == "cybozu/ubuntu"
	images.parse("localhost/x").registry == "localhost"
	images.parse("Quay.IO/cybozu/x").registry == "quay.io"
	images.parse("[::1]:5000/a").registry == "[::1]:5000"
	images.parse("quay.io.evil.example/cybozu/x").registry == "quay.io.evil.example"

	# "localhost:5000" alone is the Docker Hub image localhost with tag 5000
	images.parse("localhost:5000").repository == "docker.io/library/localhost"
}

test_ports_tags_digests if {
	digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	r := images.parse(concat("", ["localhost:5000/a/b:1@", digest]))
	r == {"registry": "localhost:5000", "path": "a/b", "repository": "localhost:5000/a/b", "tag": "1", "digest": digest}
	images.parse(concat("", ["quay.io/cybozu/x@", digest])).tag == ""
	images.parse(concat("", ["quay.io/cybozu/x@", digest])).digest == digest
}

test_invalid_references if {
	every ref in ["", "Nginx", "nginx:", "quay.io/", "a//b", "nginx@sha256:abc", " nginx", "nginx:1 ", "https://quay.io/x", 3, null] {
		not images.parse(ref)
	}
}

test_under if {
	images.under("quay.io/cybozu/ubuntu", "quay.io/cybozu")
	images.under("quay.io/cybozu", "quay.io/cybozu")
	images.under("registry.k8s.io/pause", "registry.k8s.io")
	not images.under("quay.io/cybozuevil/x", "quay.io/cybozu")
	not images.under("quay.io.evil.example/cybozu/x", "quay.io")
}

test_location if {
	every e in ["quay.io", "quay.io/cybozu", "Quay.IO/cybozu/x", "localhost", "localhost:5000/a", "[::1]:5000", "[::1]/a", "cybozu"] {
		images.location(e)
	}
	every e in ["", "quay.io/", "https://quay.io", "docker.io/x:1", "ghcr.io/*", "quay.io//x", "quay.io/Cybozu", "a_b.io", "[::1]x", 3] {
		not images.location(e)
	}
}
