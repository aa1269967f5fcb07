export * from './exporter';
export * from './exporter-props';
export * from './export-destination';
export * from './export-period';
export * from './log-group-selection';
export * from './exported-logs-table';
export * from './archive-bucket';
