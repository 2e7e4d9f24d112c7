// PLACEHOLDER until contracts/src/defi/LabOracle.sol lands (then scripts/build-contracts.js regenerates it).
export const labOracleAbi = [
  {
    "type": "constructor",
    "stateMutability": "nonpayable",
    "inputs": [
      {
        "name": "pool_",
        "type": "address"
      },
      {
        "name": "initialOwner",
        "type": "address"
      },
      {
        "name": "initialFeeder",
        "type": "address"
      },
      {
        "name": "source_",
        "type": "uint8"
      }
    ]
  },
  {
    "type": "function",
    "name": "feed",
    "inputs": [],
    "outputs": [
      {
        "name": "price",
        "type": "uint256",
        "internalType": "uint256"
      },
      {
        "name": "updatedAt",
        "type": "uint64",
        "internalType": "uint64"
      }
    ],
    "stateMutability": "view"
  },
  {
    "type": "function",
    "name": "price",
    "inputs": [],
    "outputs": [
      {
        "name": "",
        "type": "uint256",
        "internalType": "uint256"
      }
    ],
    "stateMutability": "view"
  },
  {
    "type": "function",
    "name": "setFeedPrice",
    "inputs": [
      {
        "name": "price",
        "type": "uint256",
        "internalType": "uint256"
      }
    ],
    "outputs": [],
    "stateMutability": "nonpayable"
  },
  {
    "type": "function",
    "name": "setFeeder",
    "inputs": [
      {
        "name": "feeder",
        "type": "address",
        "internalType": "address"
      }
    ],
    "outputs": [],
    "stateMutability": "nonpayable"
  },
  {
    "type": "function",
    "name": "setSource",
    "inputs": [
      {
        "name": "source",
        "type": "uint8",
        "internalType": "enum ILabOracle.Source"
      }
    ],
    "outputs": [],
    "stateMutability": "nonpayable"
  },
  {
    "type": "function",
    "name": "source",
    "inputs": [],
    "outputs": [
      {
        "name": "",
        "type": "uint8",
        "internalType": "enum ILabOracle.Source"
      }
    ],
    "stateMutability": "view"
  },
  {
    "type": "event",
    "name": "FeedPriceSet",
    "inputs": [
      {
        "name": "price",
        "type": "uint256",
        "indexed": false,
        "internalType": "uint256"
      },
      {
        "name": "updatedAt",
        "type": "uint64",
        "indexed": false,
        "internalType": "uint64"
      }
    ],
    "anonymous": false
  },
  {
    "type": "event",
    "name": "FeederSet",
    "inputs": [
      {
        "name": "feeder",
        "type": "address",
        "indexed": true,
        "internalType": "address"
      }
    ],
    "anonymous": false
  },
  {
    "type": "event",
    "name": "SourceSet",
    "inputs": [
      {
        "name": "source",
        "type": "uint8",
        "indexed": false,
        "internalType": "enum ILabOracle.Source"
      }
    ],
    "anonymous": false
  },
  {
    "type": "error",
    "name": "InvalidPrice",
    "inputs": []
  },
  {
    "type": "error",
    "name": "NotFeeder",
    "inputs": [
      {
        "name": "caller",
        "type": "address",
        "internalType": "address"
      }
    ]
  },
  {
    "type": "error",
    "name": "OracleUnavailable",
    "inputs": []
  }
] as const;

export const labOracleBytecode = '0x' as const;
