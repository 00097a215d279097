/** Small vocabularies for plausible-looking generated data. */
export const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Marie',
  'Linus',
  'Hedy',
  'Edsger',
  'Barbara',
  'Ken',
  'Margaret',
  'Tim',
  'Radia',
  'Donald',
  'Frances',
  'John',
  'Katherine',
  'Niklaus',
  'Sophie',
  'Yukihiro',
  'Anders',
];
export const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Curie',
  'Torvalds',
  'Lamarr',
  'Dijkstra',
  'Liskov',
  'Thompson',
  'Hamilton',
  'Berners-Lee',
  'Perlman',
  'Knuth',
  'Allen',
  'McCarthy',
  'Johnson',
  'Wirth',
  'Wilson',
  'Matsumoto',
  'Hejlsberg',
];
export const CITIES = [
  { city: 'Lyon', country: 'FR' },
  { city: 'Berlin', country: 'DE' },
  { city: 'Porto', country: 'PT' },
  { city: 'Utrecht', country: 'NL' },
  { city: 'Krakow', country: 'PL' },
  { city: 'Turin', country: 'IT' },
  { city: 'Ghent', country: 'BE' },
  { city: 'Malmo', country: 'SE' },
];
export const STREETS = ['Main St', 'Station Rd', 'Market Sq', 'Harbour Way', 'Elm Ave', 'Mill Lane', 'Church St', 'Park Rd'];
export const PRODUCT_WORDS = ['Lamp', 'Chair', 'Kettle', 'Desk', 'Mug', 'Shelf', 'Blanket', 'Clock', 'Rug', 'Vase', 'Pan', 'Stool'];
export const PRODUCT_ADJECTIVES = ['Oak', 'Steel', 'Linen', 'Classic', 'Compact', 'Nordic', 'Vintage', 'Studio', 'Travel', 'Deluxe'];
export const CARRIERS = ['DHL', 'UPS', 'PostNL', 'Colissimo', 'DPD', 'GLS'];
export const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'GBP'];
