// Registry module. See ../../../shared/DESIGN.md §5 for its job; contents land with their issues.

enum RegistryModule {}
