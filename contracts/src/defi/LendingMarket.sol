// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ILabOracle} from "./interfaces/ILabOracle.sol";
import {ILendingMarket} from "./interfaces/ILendingMarket.sol";

/// @title LendingMarket
/// @notice One isolated lending market: suppliers lend the debt token, borrowers post the collateral token and
///         borrow up to `lltv` of its oracle value; the rate follows a kinked utilisation curve that a controller
///         moves within governance's bounds; unhealthy positions are liquidated at the oracle price plus a bonus and
///         debt left without collateral is written off against suppliers.
/// @dev The integer formulas of {ILendingMarket}'s header are the spec, reproduced to the wei by
///      `src/defi/lendingMath.ts`. Choices the header leaves open, fixed here (and by the mirror):
///      - Check order in every call: argument checks (ZeroAmount, then ZeroAddress), then accrual, then the checks
///        that read state, in the order they appear in the code below.
///      - Interest is `totalBorrowAssets * rate * dt / (WAD * YEAR)`, one expression with no intermediate rounding;
///        it overflows only for totalBorrowAssets * rate * dt above 2^256 (e.g. 1e30 assets at 1e21 (100,000 %) a
///        year for 1e25 seconds), far outside any realistic market, so no mulDiv.
///      - The rate of an accrual is the one at the utilisation stored before that accrual.
///      - Supply and repay round shares down and accept a zero-share result (a dust supply mints no share, a dust
///        repayment burns none). Borrow and withdraw round shares up, so a nonzero amount always moves at least one
///        share; they are bounded by the health and balance checks instead.
///      - Risk parameters: lltv * (1 + bonus) < 1 (`lltv * (WAD + bonus) < WAD^2`), so a liquidation at the
///        liquidation threshold never seizes more collateral value than the position holds: a borrower cannot
///        profit from liquidating itself and a liquidation at lltv leaves no bad debt.
///      - The oracle is read only when a position has debt (withdrawCollateral, borrow, liquidate, isLiquidatable).
///      Fee-on-transfer and rebasing tokens are not supported.
contract LendingMarket is ILendingMarket, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice WAD: scale of prices, rates, utilisation and risk parameters.
    uint256 public constant WAD = 1e18;
    /// @notice Seconds in the year the annual rate is spread over.
    uint256 public constant YEAR = 365 days;
    /// @notice Virtual shares of the share math (Morpho Blue's inflation-attack guard).
    uint256 public constant VIRTUAL_SHARES = 1e6;
    /// @notice Virtual assets of the share math.
    uint256 public constant VIRTUAL_ASSETS = 1;
    /// @notice Highest reserve factor governance may set (50% of interest).
    uint64 public constant MAX_RESERVE_FACTOR = 0.5e18;

    /// @notice The token borrowers post (token0 of the pool).
    IERC20 public immutable collateralToken;
    /// @notice The token suppliers lend and borrowers borrow (token1 of the pool).
    IERC20 public immutable debtToken;
    /// @notice Liquidation loan-to-value (WAD): debt may reach `lltv` of the collateral's oracle value.
    uint64 public immutable lltv;
    /// @notice Extra collateral a liquidator receives per unit repaid (WAD; 0.05e18 = 5%).
    uint64 public immutable liquidationBonus;

    /// @notice The price source (token0 in token1, WAD).
    ILabOracle public oracle;
    /// @notice The account allowed to move the curve within `curveBounds()`.
    address public controller;
    /// @notice Share of interest minted to `treasury` as supply shares (WAD).
    uint64 public reserveFactor;
    /// @notice Receiver of the reserve's supply shares.
    address public treasury;

    CurveBounds internal _bounds;
    MarketState internal _state;
    mapping(address => Position) internal _positions;

    modifier onlyController() {
        if (msg.sender != controller) revert NotController(msg.sender);
        _;
    }

    /// @param collateralToken_ The collateral token.
    /// @param debtToken_ The debt (loan) token.
    /// @param oracle_ The price source, collateral priced in debt token, WAD.
    /// @param initialOwner Governance; also the first treasury.
    /// @param initialController The curve controller.
    /// @param lltv_ Liquidation LTV, in (0, 1e18), with lltv_ * (1e18 + liquidationBonus_) < 1e36.
    /// @param liquidationBonus_ Liquidation bonus, below 1e18, with lltv_ * (1e18 + liquidationBonus_) < 1e36.
    /// @param curve_ The initial borrow-rate curve, inside `bounds_`.
    /// @param bounds_ Governance's bounds on the curve.
    constructor(
        IERC20 collateralToken_,
        IERC20 debtToken_,
        ILabOracle oracle_,
        address initialOwner,
        address initialController,
        uint64 lltv_,
        uint64 liquidationBonus_,
        Curve memory curve_,
        CurveBounds memory bounds_
    ) Ownable(initialOwner) {
        if (
            address(collateralToken_) == address(0) || address(debtToken_) == address(0)
                || address(oracle_) == address(0) || initialController == address(0)
        ) revert ZeroAddress();
        // One token on both sides would mix collateral with lent cash.
        if (collateralToken_ == debtToken_) revert InvalidRiskParams();
        if (lltv_ == 0 || lltv_ >= WAD || liquidationBonus_ >= WAD) revert InvalidRiskParams();
        // lltv * (1 + bonus) < 1: the seizure for repaying a position at lltv stays within its collateral.
        if (uint256(lltv_) * (WAD + liquidationBonus_) >= WAD * WAD) revert InvalidRiskParams();
        collateralToken = collateralToken_;
        debtToken = debtToken_;
        lltv = lltv_;
        liquidationBonus = liquidationBonus_;
        oracle = oracle_;
        controller = initialController;
        treasury = initialOwner;
        _checkBounds(bounds_);
        _checkCurve(curve_, bounds_);
        _bounds = bounds_;
        _state.curve = curve_;
        _state.lastAccrual = uint64(block.timestamp);
        emit OracleSet(address(oracle_));
        emit ControllerSet(initialController);
        emit CurveBoundsSet(bounds_);
        emit CurveSet(msg.sender, curve_);
        emit ReserveSet(0, initialOwner);
    }

    // ------------------------------------------------------------------ lending

    /// @inheritdoc ILendingMarket
    function supply(uint256 assets, address onBehalf) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        if (onBehalf == address(0)) revert ZeroAddress();
        _accrue();
        shares = _toSharesDown(assets, _state.totalSupplyAssets, _state.totalSupplyShares);
        _positions[onBehalf].supplyShares += shares;
        _state.totalSupplyShares += shares;
        _state.totalSupplyAssets += assets;
        emit Supplied(msg.sender, onBehalf, assets, shares);

        debtToken.safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @inheritdoc ILendingMarket
    function withdraw(uint256 assets, address to) external nonReentrant returns (uint256 withdrawn, uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _accrue();
        Position storage p = _positions[msg.sender];
        uint256 balance = p.supplyShares;
        uint256 totalAssets = _state.totalSupplyAssets;
        uint256 totalShares = _state.totalSupplyShares;
        if (assets == type(uint256).max) {
            // Everything: nothing held is nothing to withdraw.
            if (balance == 0) revert ZeroAmount();
            shares = balance;
            withdrawn = _toAssetsDown(shares, totalAssets, totalShares);
        } else {
            shares = _toSharesUp(assets, totalAssets, totalShares);
            if (shares > balance) revert InsufficientBalance(shares, balance);
            withdrawn = assets;
        }
        // withdrawn <= shares * (A + 1) / (S + 1e6) <= A for shares <= S, so no underflow.
        uint256 newAssets = totalAssets - withdrawn;
        uint256 borrowed = _state.totalBorrowAssets;
        if (borrowed > newAssets) revert InsufficientLiquidity(borrowed, newAssets);
        p.supplyShares = balance - shares;
        _state.totalSupplyShares = totalShares - shares;
        _state.totalSupplyAssets = newAssets;
        emit Withdrawn(msg.sender, to, withdrawn, shares);

        debtToken.safeTransfer(to, withdrawn);
    }

    /// @inheritdoc ILendingMarket
    function supplyCollateral(uint256 assets, address onBehalf) external nonReentrant {
        if (assets == 0) revert ZeroAmount();
        if (onBehalf == address(0)) revert ZeroAddress();
        _accrue();
        _positions[onBehalf].collateral += assets;
        _state.totalCollateral += assets;
        emit CollateralSupplied(msg.sender, onBehalf, assets);

        collateralToken.safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @inheritdoc ILendingMarket
    function withdrawCollateral(uint256 assets, address to) external nonReentrant {
        if (assets == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _accrue();
        Position storage p = _positions[msg.sender];
        uint256 collateral = p.collateral;
        if (assets > collateral) revert InsufficientBalance(assets, collateral);
        collateral -= assets;
        uint256 borrowShares = p.borrowShares;
        if (borrowShares > 0) _requireHealthy(borrowShares, collateral, oracle.price());
        p.collateral = collateral;
        _state.totalCollateral -= assets;
        emit CollateralWithdrawn(msg.sender, to, assets);

        collateralToken.safeTransfer(to, assets);
    }

    /// @inheritdoc ILendingMarket
    function borrow(uint256 assets, address to) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _accrue();
        shares = _toSharesUp(assets, _state.totalBorrowAssets, _state.totalBorrowShares);
        uint256 newBorrowAssets = _state.totalBorrowAssets + assets;
        uint256 supplied = _state.totalSupplyAssets;
        if (newBorrowAssets > supplied) revert InsufficientLiquidity(newBorrowAssets, supplied);
        Position storage p = _positions[msg.sender];
        uint256 borrowShares = p.borrowShares + shares;
        _state.totalBorrowAssets = newBorrowAssets;
        _state.totalBorrowShares += shares;
        _requireHealthy(borrowShares, p.collateral, oracle.price());
        p.borrowShares = borrowShares;
        emit Borrowed(msg.sender, to, assets, shares);

        debtToken.safeTransfer(to, assets);
    }

    /// @inheritdoc ILendingMarket
    function repay(uint256 assets, address onBehalf) external nonReentrant returns (uint256 repaid, uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        if (onBehalf == address(0)) revert ZeroAddress();
        _accrue();
        Position storage p = _positions[onBehalf];
        uint256 borrowShares = p.borrowShares;
        if (borrowShares == 0) revert NoDebt();
        uint256 totalAssets = _state.totalBorrowAssets;
        uint256 totalShares = _state.totalBorrowShares;
        uint256 debt = _toAssetsUp(borrowShares, totalAssets, totalShares);
        if (assets >= debt) {
            (repaid, shares) = (debt, borrowShares);
        } else {
            (repaid, shares) = (assets, _toSharesDown(assets, totalAssets, totalShares));
        }
        p.borrowShares = borrowShares - shares;
        _state.totalBorrowShares = totalShares - shares;
        // Saturates: a debt rounded up can exceed the total it was rounded from by a wei.
        _state.totalBorrowAssets = _subFloor(totalAssets, repaid);
        emit Repaid(msg.sender, onBehalf, repaid, shares);

        debtToken.safeTransferFrom(msg.sender, address(this), repaid);
    }

    /// @inheritdoc ILendingMarket
    function liquidate(address borrower, uint256 repayAssets)
        external
        nonReentrant
        returns (uint256 repaid, uint256 seized, uint256 badDebt)
    {
        if (repayAssets == 0) revert ZeroAmount();
        _accrue();
        Position storage p = _positions[borrower];
        uint256 borrowShares = p.borrowShares;
        if (borrowShares == 0) revert NoDebt();
        uint256 price = oracle.price();
        uint256 collateral = p.collateral;
        uint256 totalAssets = _state.totalBorrowAssets;
        uint256 totalShares = _state.totalBorrowShares;
        uint256 debt = _toAssetsUp(borrowShares, totalAssets, totalShares);
        {
            uint256 maxDebt = _maxDebt(collateral, price);
            if (debt <= maxDebt) revert HealthyPosition(debt, maxDebt);
        }
        uint256 bonusScale = WAD + liquidationBonus;
        repaid = repayAssets < debt ? repayAssets : debt;
        seized = repaid * bonusScale / price;
        if (seized > collateral) {
            seized = collateral;
            repaid = _divUp(seized * price, bonusScale);
        }
        if (repaid == 0) revert ZeroAmount();
        // repaid < debt implies toSharesDown(repaid) < borrowShares.
        uint256 shares = repaid == debt ? borrowShares : _toSharesDown(repaid, totalAssets, totalShares);
        borrowShares -= shares;
        collateral -= seized;
        totalShares -= shares;
        // Saturates: `debt` is rounded up and can exceed the total by a wei.
        totalAssets = _subFloor(totalAssets, repaid);
        emit Liquidated(msg.sender, borrower, repaid, shares, seized, price);

        if (collateral == 0 && borrowShares > 0) {
            badDebt = _toAssetsUp(borrowShares, totalAssets, totalShares);
            if (badDebt > totalAssets) badDebt = totalAssets;
            totalAssets -= badDebt;
            totalShares -= borrowShares;
            // Saturates for safety: borrows never exceed supply, so this does not bind.
            _state.totalSupplyAssets = _subFloor(_state.totalSupplyAssets, badDebt);
            _state.badDebt += badDebt;
            emit BadDebtRealized(borrower, badDebt, borrowShares);
            borrowShares = 0;
        }
        p.borrowShares = borrowShares;
        p.collateral = collateral;
        _state.totalBorrowShares = totalShares;
        _state.totalBorrowAssets = totalAssets;
        _state.totalCollateral -= seized;

        debtToken.safeTransferFrom(msg.sender, address(this), repaid);
        collateralToken.safeTransfer(msg.sender, seized);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc ILendingMarket
    function setCurve(Curve calldata curve) external onlyController {
        _accrue();
        _checkCurve(curve, _bounds);
        _state.curve = curve;
        emit CurveSet(msg.sender, curve);
    }

    /// @inheritdoc ILendingMarket
    function setCurveBounds(CurveBounds calldata bounds_) external onlyOwner {
        _accrue();
        _checkBounds(bounds_);
        Curve memory c = _state.curve;
        if (!_inBounds(c, bounds_)) revert InvalidBounds();
        _bounds = bounds_;
        emit CurveBoundsSet(bounds_);
    }

    /// @inheritdoc ILendingMarket
    function setController(address controller_) external onlyOwner {
        if (controller_ == address(0)) revert ZeroAddress();
        _accrue();
        controller = controller_;
        emit ControllerSet(controller_);
    }

    /// @inheritdoc ILendingMarket
    function setOracle(address oracle_) external onlyOwner {
        if (oracle_ == address(0)) revert ZeroAddress();
        _accrue();
        oracle = ILabOracle(oracle_);
        emit OracleSet(oracle_);
    }

    /// @inheritdoc ILendingMarket
    function setReserve(uint64 reserveFactor_, address treasury_) external onlyOwner {
        if (reserveFactor_ > MAX_RESERVE_FACTOR) revert InvalidRiskParams();
        if (treasury_ == address(0)) revert ZeroAddress();
        // Interest up to now is split at the old factor.
        _accrue();
        reserveFactor = reserveFactor_;
        treasury = treasury_;
        emit ReserveSet(reserveFactor_, treasury_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILendingMarket
    function state() external view returns (MarketState memory) {
        return _state;
    }

    /// @inheritdoc ILendingMarket
    function position(address account) external view returns (Position memory) {
        return _positions[account];
    }

    /// @inheritdoc ILendingMarket
    function borrowRate() external view returns (uint256) {
        return _rate(_state.totalBorrowAssets, _state.totalSupplyAssets, _state.curve);
    }

    /// @inheritdoc ILendingMarket
    function isLiquidatable(address account) external view returns (bool) {
        Position memory p = _positions[account];
        if (p.borrowShares == 0) return false;
        uint256 debt = _toAssetsUp(p.borrowShares, _state.totalBorrowAssets, _state.totalBorrowShares);
        return debt > _maxDebt(p.collateral, oracle.price());
    }

    /// @notice Governance's bounds on the curve.
    function curveBounds() external view returns (CurveBounds memory) {
        return _bounds;
    }

    /// @notice The current utilisation (WAD) of the stored state.
    function utilization() external view returns (uint256) {
        return _utilization(_state.totalBorrowAssets, _state.totalSupplyAssets);
    }

    /// @notice `account`'s debt now (stored state, rounded up).
    function debtOf(address account) external view returns (uint256) {
        return _toAssetsUp(_positions[account].borrowShares, _state.totalBorrowAssets, _state.totalBorrowShares);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Accrues linear interest since `lastAccrual` at the rate of the stored utilisation; the reserve's cut is
    ///      minted as supply shares to the treasury, priced after the interest joined the supply.
    function _accrue() internal {
        uint256 dt = block.timestamp - _state.lastAccrual;
        if (dt == 0) return;
        _state.lastAccrual = uint64(block.timestamp);
        uint256 borrowed = _state.totalBorrowAssets;
        if (borrowed == 0) return;
        uint256 supplied = _state.totalSupplyAssets;
        uint256 rate = _rate(borrowed, supplied, _state.curve);
        uint256 interest = borrowed * rate * dt / (WAD * YEAR);
        supplied += interest;
        _state.totalBorrowAssets = borrowed + interest;
        _state.totalSupplyAssets = supplied;
        uint256 feeShares;
        uint64 factor = reserveFactor;
        if (factor > 0) {
            uint256 feeAmount = interest * factor / WAD;
            feeShares = _toSharesDown(feeAmount, supplied - feeAmount, _state.totalSupplyShares);
            _positions[treasury].supplyShares += feeShares;
            _state.totalSupplyShares += feeShares;
        }
        emit Accrued(interest, feeShares, rate);
    }

    function _utilization(uint256 borrowed, uint256 supplied) internal pure returns (uint256) {
        if (supplied == 0) return 0;
        uint256 u = borrowed * WAD / supplied;
        return u > WAD ? WAD : u;
    }

    function _rate(uint256 borrowed, uint256 supplied, Curve memory c) internal pure returns (uint256) {
        uint256 u = _utilization(borrowed, supplied);
        if (u <= c.kink) return uint256(c.baseRate) + uint256(c.slope1) * u / c.kink;
        return uint256(c.baseRate) + c.slope1 + uint256(c.slope2) * (u - c.kink) / (WAD - c.kink);
    }

    /// @dev collateral * price / 1e18 * lltv / 1e18 (two floors, in that order).
    function _maxDebt(uint256 collateral, uint256 price) internal view returns (uint256) {
        return collateral * price / WAD * lltv / WAD;
    }

    /// @dev Reverts unless a position of `borrowShares` (at the stored totals) and `collateral` is healthy.
    function _requireHealthy(uint256 borrowShares, uint256 collateral, uint256 price) internal view {
        uint256 debt = _toAssetsUp(borrowShares, _state.totalBorrowAssets, _state.totalBorrowShares);
        uint256 maxDebt = _maxDebt(collateral, price);
        if (debt > maxDebt) revert InsufficientCollateral(debt, maxDebt);
    }

    function _checkBounds(CurveBounds memory b) internal pure {
        if (b.minKink == 0 || b.minKink > b.maxKink || b.maxKink >= WAD) revert InvalidBounds();
    }

    function _inBounds(Curve memory c, CurveBounds memory b) internal pure returns (bool) {
        return c.kink > 0 && c.kink < WAD && c.baseRate <= b.maxBaseRate && c.slope1 <= b.maxSlope1
            && c.slope2 <= b.maxSlope2 && c.kink >= b.minKink && c.kink <= b.maxKink;
    }

    function _checkCurve(Curve memory c, CurveBounds memory b) internal pure {
        if (!_inBounds(c, b)) revert CurveOutOfBounds();
    }

    function _toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return assets * (totalShares + VIRTUAL_SHARES) / (totalAssets + VIRTUAL_ASSETS);
    }

    function _toSharesUp(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return _divUp(assets * (totalShares + VIRTUAL_SHARES), totalAssets + VIRTUAL_ASSETS);
    }

    function _toAssetsDown(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return shares * (totalAssets + VIRTUAL_ASSETS) / (totalShares + VIRTUAL_SHARES);
    }

    function _toAssetsUp(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return _divUp(shares * (totalAssets + VIRTUAL_ASSETS), totalShares + VIRTUAL_SHARES);
    }

    /// @dev ceil(x / d) for d > 0, as (x + d - 1) / d would overflow near the top: x / d + (x % d == 0 ? 0 : 1).
    function _divUp(uint256 x, uint256 d) internal pure returns (uint256) {
        return x / d + (x % d == 0 ? 0 : 1);
    }

    /// @dev max(a - b, 0).
    function _subFloor(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : 0;
    }
}
