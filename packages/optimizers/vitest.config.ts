import {ampProject} from '../../vitest.shared.js';

export default ampProject('optimizers');
