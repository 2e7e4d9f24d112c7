// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IAdaptivePool} from "./interfaces/IAdaptivePool.sol";
import {ILabOracle} from "./interfaces/ILabOracle.sol";

/// @title LabOracle
/// @notice The lending market's price of token0 (collateral) in token1 (debt), WAD: either the AdaptivePool's TWAP
///         (`state().twapPrice`, the last completed window) or an external feed pushed by a feeder. Governance
///         (Ownable2Step) picks the source and the feeder.
/// @dev Mirrored by `src/defi/oracleMath.ts`. A pool TWAP of 0 (pool not seeded yet) or a feed never pushed both
///      revert `OracleUnavailable`, so a consumer never sees a zero price.
contract LabOracle is ILabOracle, Ownable2Step {
    /// @notice The pool whose TWAP the `Pool` source reads (may be zero for a feed-only oracle).
    IAdaptivePool public immutable pool;
    /// @notice The account allowed to push the external price.
    address public feeder;
    /// @inheritdoc ILabOracle
    Source public source;

    uint256 internal _feedPrice;
    uint64 internal _feedUpdatedAt;

    /// @param pool_ The AdaptivePool read by the `Pool` source.
    /// @param initialOwner Governance.
    /// @param initialFeeder The account that pushes the external price.
    /// @param source_ The initial source.
    constructor(IAdaptivePool pool_, address initialOwner, address initialFeeder, Source source_)
        Ownable(initialOwner)
    {
        pool = pool_;
        feeder = initialFeeder;
        source = source_;
        emit FeederSet(initialFeeder);
        emit SourceSet(source_);
    }

    /// @inheritdoc ILabOracle
    function price() external view returns (uint256 p) {
        if (source == Source.Feed) {
            p = _feedPrice;
        } else if (address(pool) != address(0)) {
            p = pool.state().twapPrice;
        }
        if (p == 0) revert OracleUnavailable();
    }

    /// @inheritdoc ILabOracle
    function feed() external view returns (uint256, uint64) {
        return (_feedPrice, _feedUpdatedAt);
    }

    /// @inheritdoc ILabOracle
    function setFeedPrice(uint256 price_) external {
        if (msg.sender != feeder) revert NotFeeder(msg.sender);
        if (price_ == 0) revert InvalidPrice();
        uint64 now_ = uint64(block.timestamp);
        _feedPrice = price_;
        _feedUpdatedAt = now_;
        emit FeedPriceSet(price_, now_);
    }

    /// @inheritdoc ILabOracle
    function setSource(Source source_) external onlyOwner {
        source = source_;
        emit SourceSet(source_);
    }

    /// @inheritdoc ILabOracle
    function setFeeder(address feeder_) external onlyOwner {
        feeder = feeder_;
        emit FeederSet(feeder_);
    }
}
