# The two PodSecurityPolicy configuration checks that used regular expressions
# before policies/podsecurity/config.rego stopped using them (at f171086), kept
# only so test/policies/regex-free.test.ts can show that the string-function
# versions decide the same. Not part of the shipped policies.
package oracle.podsecurity

dns_subdomain(s) if {
	is_string(s)
	count(s) <= 253
	regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, s)
}

_sysctl_pattern := `^([a-z0-9]([-_a-z0-9]*[a-z0-9])?\.)*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]$`

sysctl_pattern_valid(s) if {
	count(s) <= 253
	regex.match(_sysctl_pattern, s)
}
