# The two configuration checks that used regular expressions before the
# policies stopped using them (policies/registries/registries.rego and
# policies/lib/config.rego at 40c2bb0), kept only so
# test/policies/regex-free.test.ts can show that the string-function
# versions decide the same. Not part of the shipped policies.
package oracle.patterns

_entry_pattern := sprintf(`^%s(?:/%s)*$`, [`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`, `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`])

location(e) if regex.match(_entry_pattern, e)

namespace_name(ns) if regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, ns)
