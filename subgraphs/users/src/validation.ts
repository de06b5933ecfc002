import { badUserInput } from '@tessera/service-kit';
import { characters } from '@tessera/subgraph-kit';
import type { CreateUserInput, UpdateUserInput } from './generated/resolvers-types.js';

const USERNAME = /^[a-z0-9_.]{3,32}$/;
// Deliberately loose: a stricter pattern rejects valid addresses, and the unique index, not the pattern, keeps them apart.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Checks and normalises `createUser`'s input; throws BAD_USER_INPUT naming the field. */
export function validateCreateUser(input: CreateUserInput): CreateUserInput {
  const username = input.username.trim().toLowerCase();
  const name = input.name.trim();
  const email = input.email.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw badUserInput('Username must be 3–32 characters of lowercase letters, digits, "_" and ".".', 'input.username');
  }
  if (characters(name) < 1 || characters(name) > 100) throw badUserInput('Name must be 1–100 characters.', 'input.name');
  if (characters(email) > 254 || !EMAIL.test(email)) throw badUserInput('Email must be a valid address.', 'input.email');
  return { username, name, email };
}

/** Checks and normalises `updateUser`'s input by the same rules as a new user's; throws BAD_USER_INPUT naming the field. */
export function validateUpdateUser(input: UpdateUserInput): { name?: string; email?: string } {
  const changes: { name?: string; email?: string } = {};
  if (input.name !== undefined && input.name !== null) {
    const name = input.name.trim();
    if (characters(name) < 1 || characters(name) > 100) throw badUserInput('Name must be 1–100 characters.', 'input.name');
    changes.name = name;
  }
  if (input.email !== undefined && input.email !== null) {
    const email = input.email.trim().toLowerCase();
    if (characters(email) > 254 || !EMAIL.test(email)) throw badUserInput('Email must be a valid address.', 'input.email');
    changes.email = email;
  }
  if (Object.keys(changes).length === 0) throw badUserInput('Give at least one field to change.', 'input');
  return changes;
}
