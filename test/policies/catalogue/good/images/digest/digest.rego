# METADATA
# title: Images pinned by digest
# description: |
#   With config.images.requireDigest every container image names a digest.
# custom:
#   id: images.digest
#   action: deny
#   remediation: Refer to each image as name@sha256:<digest>.
#   data:
#     - config.images.requireDigest
#   rules:
#     images.digest.init: Init container images pinned by digest
package wasmgate.policies.images.digest

import data.wasmgate.policies.images.digest.containers

violations contains {
	"policy": "images.digest",
	"message": sprintf("container %s: image %s has no digest: use %s@sha256:<digest>", [c.name, c.image, c.image]),
} if {
	data.config.images.requireDigest
	some c in containers.regular
	not contains(c.image, "@")
}

violations contains {
	"policy": "images.digest.init",
	"message": sprintf("init container %s: image %s has no digest: use %s@sha256:<digest>", [c.name, c.image, c.image]),
} if {
	data.config.images.requireDigest
	some c in containers.init
	not contains(c.image, "@")
}
