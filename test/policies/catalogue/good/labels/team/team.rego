# METADATA
# title: Deployments carry a team label
# description: |
#   Every Deployment names the team that owns it
#   in the label "team".
# custom:
#   id: labels.team
#   action: warn
#   remediation: Add metadata.labels.team with the owning team's name.
#   data: []
package wasmgate.policies.labels.team

import data.wasmgate.lib.kinds

violations contains {
	"policy": "labels.team",
	"message": "the Deployment has no label team: add metadata.labels.team",
	"path": "metadata.labels",
} if {
	kinds.deployment
	not input.request.object.metadata.labels.team
}
