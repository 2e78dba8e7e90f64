export * from './infrastructure';
export * from './unique';
