export { createAdmissionPlugin, type AdmissionStep } from './plugin.js';
