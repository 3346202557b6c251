# runtime/lifecycle fragment
