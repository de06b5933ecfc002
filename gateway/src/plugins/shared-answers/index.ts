export {
  createSharedAnswers,
  keepAnswerLine,
  type AnswerTicket,
  type SharedAnswers,
  type SharedAnswerContext,
  type SharedAnswersOptions,
} from './shared-answers.js';
export { requestKey, type KeyedRequest } from './request-key.js';
