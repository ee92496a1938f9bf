# A helper package below the policy's own: no metadata needed.
package wasmgate.policies.images.digest.containers

regular := object.get(input.request.object, ["spec", "containers"], [])

init := object.get(input.request.object, ["spec", "initContainers"], [])
