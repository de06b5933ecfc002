import { badUserInput } from '@tessera/service-kit';
import { characters } from '@tessera/subgraph-kit';
import type { CreateProductInput, MoneyInput, UpdateProductInput } from './generated/resolvers-types.js';

const SKU = /^[A-Za-z0-9-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;
/** Keeps amounts inside PostgreSQL's `integer`. */
const MAX_AMOUNT = 2_147_483_647;

/** The row fields of a valid `createProduct` input. */
export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  priceAmount: number;
  priceCurrency: string;
  inStock: boolean;
}

/** Checks and normalises `createProduct`'s input; throws BAD_USER_INPUT naming the field. */
export function validateCreateProduct(input: CreateProductInput): NewProduct {
  const sku = input.sku.trim();
  const name = input.name.trim();
  const description = (input.description ?? '').trim();
  if (!SKU.test(sku)) throw badUserInput('SKU must be 1–64 characters of letters, digits and "-".', 'input.sku');
  if (characters(name) < 1 || characters(name) > 200) throw badUserInput('Name must be 1–200 characters.', 'input.name');
  if (characters(description) > 5_000) throw badUserInput('Description must be at most 5,000 characters.', 'input.description');
  validatePrice(input.price);
  return {
    sku,
    name,
    description,
    priceAmount: input.price.amount,
    priceCurrency: input.price.currency,
    inStock: input.inStock ?? true,
  };
}

/** The row fields `updateProduct` changes. */
export type ProductChanges = Partial<Pick<NewProduct, 'name' | 'description' | 'priceAmount' | 'priceCurrency' | 'inStock'>>;

/** Checks and normalises `updateProduct`'s input by the same rules as a new product's; throws BAD_USER_INPUT naming the field. */
export function validateUpdateProduct(input: UpdateProductInput): ProductChanges {
  const changes: ProductChanges = {};
  if (input.name !== undefined && input.name !== null) {
    const name = input.name.trim();
    if (characters(name) < 1 || characters(name) > 200) throw badUserInput('Name must be 1–200 characters.', 'input.name');
    changes.name = name;
  }
  if (input.description !== undefined && input.description !== null) {
    const description = input.description.trim();
    if (characters(description) > 5_000) throw badUserInput('Description must be at most 5,000 characters.', 'input.description');
    changes.description = description;
  }
  if (input.price !== undefined && input.price !== null) {
    validatePrice(input.price);
    changes.priceAmount = input.price.amount;
    changes.priceCurrency = input.price.currency;
  }
  if (input.inStock !== undefined && input.inStock !== null) changes.inStock = input.inStock;
  if (Object.keys(changes).length === 0) throw badUserInput('Give at least one field to change.', 'input');
  return changes;
}

function validatePrice(price: MoneyInput): void {
  if (!Number.isInteger(price.amount) || price.amount < 0 || price.amount > MAX_AMOUNT) {
    throw badUserInput('Price amount must be a whole number of minor units, 0 or more.', 'input.price.amount');
  }
  if (!CURRENCY.test(price.currency)) throw badUserInput('Currency must be an ISO 4217 code such as "USD".', 'input.price.currency');
}
