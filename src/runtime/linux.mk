# runtime/linux fragment
