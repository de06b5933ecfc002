export { createSharedAnswers, type AnswerTicket, type SharedAnswersFeature, type SharedAnswersOptions } from './shared-answers.js';
export { requestKey, type KeyedRequest } from './request-key.js';
