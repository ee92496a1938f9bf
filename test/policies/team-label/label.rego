# METADATA
# title: Deployments name their team
# description: |
#   Every Deployment carries a team label, so that its owners can be found.
# custom:
#   id: team.label
#   action: warn
#   remediation: Add the label metadata.labels.team naming the team that runs it.
#   data: []
package wasmgate.policies.team.label

import data.wasmgate.lib.messages
import data.wasmgate.lib.request

metadata := rego.metadata.chain()

violations contains messages.violation("team.label", "metadata.labels.team", "the Deployment has no team label; add metadata.labels.team") if {
	request.group == "apps"
	request.kind == "Deployment"
	not request.obj.metadata.labels.team
}
