# METADATA
# title: Helpers shared by the test policies
# description: Not a policy (outside wasmgate.policies), so not in the catalogue.
package wasmgate.lib.kinds

deployment if input.request.kind.kind == "Deployment"
