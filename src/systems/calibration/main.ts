// Runs the calibration target as its own process: `node --import tsx src/systems/calibration/main.ts <port>`.
import { createCalibrationServer } from './server.ts';

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) {
  console.error('usage: calibration/main.ts <port>');
  process.exit(2);
}
createCalibrationServer().listen(port, '127.0.0.1', () =>
  console.log(`calibration target on 127.0.0.1:${port}`),
);
