"""Job and task runs: the synchronization job (export → prepare → synchronize), resume, cancel."""
