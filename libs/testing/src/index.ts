export * from './infrastructure';
export * from './unique';
export * from './git-repo';
export * from './ports';
export * from './rejected';
export * from './prometheus-scrape';
