export * from './exporter';
export * from './export-period';
export * from './log-group-selection';
export * from './exported-logs-table';
export * from './archive-bucket';
